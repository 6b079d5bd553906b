-- normalize_email, email_domain, email_is_generic, email_is_public_domain (seed
-- public_email_domains). Returns the cases whose result differs from the expectation.
with

cases (raw_email, expected_email, expected_domain, expected_is_generic, expected_is_public) as (

    values
        ('Ivan.Petrov@Mail.RU', 'ivan.petrov@mail.ru', 'mail.ru', false, true),
        ('  ivan_petrov@gmail.com ', 'ivan_petrov@gmail.com', 'gmail.com', false, true),
        ('mailto:buh@romashka.kz', 'buh@romashka.kz', 'romashka.kz', true, false),
        ('<info@romashka.kz>', 'info@romashka.kz', 'romashka.kz', true, false),
        ('info2@romashka.kz', 'info2@romashka.kz', 'romashka.kz', true, false),
        ('sales.almaty@romashka.kz', 'sales.almaty@romashka.kz', 'romashka.kz', true, false),
        ('office@yandex.kz', 'office@yandex.kz', 'yandex.kz', true, true),
        ('zakaz@bk.ru', 'zakaz@bk.ru', 'bk.ru', true, true),
        ('adminova@list.ru', 'adminova@list.ru', 'list.ru', false, true),
        ('a.infoev@inbox.ru', 'a.infoev@inbox.ru', 'inbox.ru', false, true),
        ('d.nurlanova@company-kz.com', 'd.nurlanova@company-kz.com', 'company-kz.com', false, false),
        -- invalid shapes
        ('ivan.petrov@mail', null, null, null, null),
        ('ivan.petrov.mail.ru', null, null, null, null),
        ('ivan petrov@mail.ru', null, null, null, null),
        ('ivan..petrov@mail.ru', null, null, null, null),
        ('.ivan@mail.ru', null, null, null, null),
        ('ivan@@mail.ru', null, null, null, null),
        ('ivan@-mail.ru', null, null, null, null),
        ('иван@почта.рф', null, null, null, null),
        ('', null, null, null, null),
        (null, null, null, null, null)

),

results as (

    select
        raw_email,
        expected_email,
        expected_domain,
        expected_is_generic,
        expected_is_public,
        {{ normalize_email('raw_email') }} as actual_email,
        {{ email_domain('raw_email') }} as actual_domain,
        {{ email_is_generic('raw_email') }} as actual_is_generic,
        {{ email_is_public_domain('raw_email') }} as actual_is_public
    from cases

)

select *
from results
where
    actual_email is distinct from expected_email
    or actual_domain is distinct from expected_domain
    or actual_is_generic is distinct from expected_is_generic
    or actual_is_public is distinct from expected_is_public
