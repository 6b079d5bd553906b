-- normalize_name and translit_key: Cyrillic, Kazakh and Latin spellings of one name
-- share a key; different names do not. Returns the cases that differ from the expectation.
with

cases (raw_name, expected_name_key, expected_translit_key) as (

    values
        ('  Петров   Иван ', 'петров иван', 'petrov ivan'),
        ('Petrov Ivan', 'petrov ivan', 'petrov ivan'),
        ('Жанна', 'жанна', 'jana'),
        ('Zhanna', 'zhanna', 'jana'),
        ('Janna', 'janna', 'jana'),
        ('Қанат', 'қанат', 'kanat'),
        ('Канат', 'канат', 'kanat'),
        ('Kanat', 'kanat', 'kanat'),
        ('Алёна «Осипова»', 'алена осипова', 'alena osipova'),
        ('Дмитрий', 'дмитрий', 'dmitri'),
        ('Dmitriy', 'dmitriy', 'dmitri'),
        ('Хасенов Еркебұлан', 'хасенов еркебұлан', 'hasenov erkebulan'),
        ('Khasenov Erkebulan', 'khasenov erkebulan', 'hasenov erkebulan'),
        ('Цой Юлия', 'цой юлия', 'coi iulia'),
        ('Tsoy Yuliya', 'tsoy yuliya', 'coi iulia'),
        ('Мария', 'мария', 'maria'),
        ('Maria', 'maria', 'maria'),
        ('Әсел Ғалымқызы', 'әсел ғалымқызы', 'asel galimkizi'),
        ('Асель', 'асель', 'asel'),
        ('Евгений Сергеев', 'евгений сергеев', 'evgeni sergev'),
        ('Yevgeniy Sergeyev', 'yevgeniy sergeyev', 'evgeni sergev'),
        ('Шынар-Гүл', 'шынар-гүл', 'shinar gul'),
        ('Alexander', 'alexander', 'aleksander'),
        ('Александр', 'александр', 'aleksandr'),
        ('   ', null, null),
        (null, null, null)

),

results as (

    select
        raw_name,
        expected_name_key,
        expected_translit_key,
        {{ normalize_name('raw_name') }} as actual_name_key,
        {{ translit_key('raw_name') }} as actual_translit_key
    from cases

)

select *
from results
where
    actual_name_key is distinct from expected_name_key
    or actual_translit_key is distinct from expected_translit_key
