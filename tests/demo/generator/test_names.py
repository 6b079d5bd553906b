"""Transliteration and misspelling as people actually type names."""

from __future__ import annotations

from demo.generator import names


def test_transliteration_as_people_write_it() -> None:
    assert names.transliterate("Иван Петров") == "Ivan Petrov"
    assert names.transliterate("Жанна") == "Zhanna"
    assert names.transliterate("Дмитрий") == "Dmitriy"
    assert names.transliterate("Қанат Әбішев") == "Kanat Abishev"
    assert names.transliterate("Ұлжан Өмірзақова") == "Ulzhan Omirzakova"
    assert names.transliterate("Ғалым Нұрмағанбетов") == "Galym Nurmaganbetov"
    assert names.transliterate("Іңкәр Һ Ү") == "Inkar H U"
    assert names.transliterate("Юлия Щербакова") == "Yuliya Shcherbakova"


def test_kazakh_letters_flatten_to_a_russian_keyboard() -> None:
    assert names.flatten_kazakh("Қанат Әбішев") == "Канат Абишев"
    assert names.female_surname("Ахметов") == "Ахметова"
    assert names.female_surname("Ким") == "Ким"
