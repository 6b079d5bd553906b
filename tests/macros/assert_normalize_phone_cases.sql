-- normalize_phone, phone_is_valid, phone_extension: every form in docs/landing_formats.md,
-- extensions and garbage. Returns the cases whose result differs from the expectation.
with

cases (raw_phone, expected_e164, expected_is_valid, expected_extension) as (

    values
        ('+7 777 123 45 67', '+77771234567', true, null),
        ('8 (777) 123-45-67', '+77771234567', true, null),
        ('87771234567', '+77771234567', true, null),
        ('7771234567', '+77771234567', true, null),
        ('+77771234567', '+77771234567', true, null),
        ('77771234567', '+77771234567', true, null),
        ('+7 8 777 123 45 67', '+77771234567', true, null),
        -- a bare 7 before 9xx is not read as the country code (libphonenumber, region KZ)
        ('79161234567', null, false, null),
        ('8 777 123 4567', '+77771234567', true, null),
        ('+7 (777) 123-45-67', '+77771234567', true, null),
        ('  +7 777 123 45 67  ', '+77771234567', true, null),
        ('8 (7262) 94-04-69', '+77262940469', true, null),
        ('+7 7172 79 76 23', '+77172797623', true, null),
        ('8 (916) 336-92-89', '+79163369289', true, null),
        ('+7 495 123 45 67', '+74951234567', true, null),
        ('8 777 123 45 67 доб. 123', '+77771234567', true, '123'),
        ('+7 777 123 45 67 ext 12', '+77771234567', true, '12'),
        ('87771234567 x12', '+77771234567', true, '12'),
        ('тел. 8 777 123 45 67', '+77771234567', true, null),
        -- well-formed but outside the numbering plan: kept, flagged
        ('+7 750 408 31 20', '+77504083120', false, null),
        ('+7 650 123 45 67', '+76501234567', false, null),
        -- garbage
        ('x12', null, false, '12'),
        ('нет', null, false, null),
        ('-', null, false, null),
        ('12345', null, false, null),
        ('777123456', null, false, null),
        -- ten digits starting 8 are a Russian area code (877 Adygea), not a trunk prefix
        ('8777123456', '+78777123456', true, null),
        ('877712345678', null, false, null),
        -- other countries: kept in E.164 after "+" or "00"; only the shape is checked
        ('+1 212 555 01 23', '+12125550123', true, null),
        ('+44 20 7946 0958', '+442079460958', true, null),
        ('0044 20 7946 0958', '+442079460958', true, null),
        ('+44 (0)20 7946 0958 ext 12', '+442079460958', true, '12'),
        ('+61 2 9876 5432', '+61298765432', true, null),
        ('+49 30 123456', '+4930123456', true, null),
        ('007 777 123 45 67', '+77771234567', true, null),
        ('+1 234', null, false, null),
        ('+49 1234 5678 9012 3456', null, false, null),
        ('20 7946 0958', null, false, null),
        ('+7 177 123 45 67', null, false, null),
        ('5771234567', null, false, null),
        ('8 777 abc 45 67', null, false, null),
        ('', null, null, null),
        (null, null, null, null)

),

results as (

    select
        raw_phone,
        expected_e164,
        expected_is_valid,
        expected_extension,
        {{ normalize_phone('raw_phone') }} as actual_e164,
        {{ phone_is_valid('raw_phone') }} as actual_is_valid,
        {{ phone_extension('raw_phone') }} as actual_extension
    from cases

)

select *
from results
where
    actual_e164 is distinct from expected_e164
    or actual_is_valid is distinct from expected_is_valid
    or actual_extension is distinct from expected_extension
