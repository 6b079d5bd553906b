-- organisation_legal_form and organisation_name_core: the legal form at the start or the
-- end, in Cyrillic, Latin or in full, with or without quotes. Returns the failing cases.
with

cases (raw_title, expected_legal_form, expected_name_core) as (

    values
        ('ТОО «Ромашка»', 'TOO', 'ромашка'),
        ('ТОО "Ромашка"', 'TOO', 'ромашка'),
        ('ТОО Ромашка', 'TOO', 'ромашка'),
        ('"Ромашка" ТОО', 'TOO', 'ромашка'),
        ('Ромашка ТОО', 'TOO', 'ромашка'),
        ('Товарищество с ограниченной ответственностью «Ромашка»', 'TOO', 'ромашка'),
        ('Romashka LLP', 'TOO', 'romashka'),
        ('TOO Romashka', 'TOO', 'romashka'),
        ('АО «Казахойл»', 'AO', 'казахойл'),
        ('Акционерное общество «Казахойл»', 'AO', 'казахойл'),
        ('Kazakhoil JSC', 'AO', 'kazakhoil'),
        ('AO Kazakhoil', 'AO', 'kazakhoil'),
        ('ИП Петров Иван Сергеевич', 'IP', 'петров иван сергеевич'),
        ('Петров Иван Сергеевич ИП', 'IP', 'петров иван сергеевич'),
        ('Индивидуальный предприниматель Петров Иван', 'IP', 'петров иван'),
        ('IE Petrov Ivan', 'IP', 'petrov ivan'),
        ('ООО «Вектор»', 'OOO', 'вектор'),
        ('Vektor LLC', 'OOO', 'vektor'),
        ('ЗАО «Вектор»', 'ZAO', 'вектор'),
        ('Вектор Закрытое акционерное общество', 'ZAO', 'вектор'),
        ('ПАО «Вектор»', 'PAO', 'вектор'),
        ('ТДО «Вектор»', 'TDO', 'вектор'),
        ('КХ «Береке»', 'KH', 'береке'),
        ('Крестьянское хозяйство Береке', 'KH', 'береке'),
        ('Атамекен-Фуд', null, 'атамекен-фуд'),
        ('Тоолан Групп', null, 'тоолан групп'),
        ('ТОО', 'TOO', null),
        ('', null, null)

),

results as (

    select
        raw_title,
        expected_legal_form,
        expected_name_core,
        {{ organisation_legal_form('raw_title') }} as actual_legal_form,
        {{ organisation_name_core('raw_title') }} as actual_name_core
    from cases

)

select *
from results
where
    actual_legal_form is distinct from expected_legal_form
    or actual_name_core is distinct from expected_name_core
