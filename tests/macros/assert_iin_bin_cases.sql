-- iin_bin_is_valid, iin_birth_date, iin_sex: valid IINs of both centuries and sexes, a
-- valid BIN (no birth date), a number valid only through the second weights, mistyped,
-- short, long and non-numeric values. Returns the failing cases.
with

cases (raw_number, expected_is_valid, expected_birth_date, expected_sex) as (

    values
        ('730907485276', true, date '1973-09-07', 'female'),
        ('790318358985', true, date '1979-03-18', 'male'),
        ('830307395127', true, date '1983-03-07', 'male'),
        (' 830307395127 ', true, date '1983-03-07', 'male'),
        ('050101500000', true, date '2005-01-01', 'male'),
        ('000101600008', true, date '2000-01-01', 'female'),
        ('000101100006', true, date '1800-01-01', 'male'),
        -- valid only with the second weights: the first sum mod 11 is 10
        ('850307300608', true, date '1985-03-07', 'male'),
        -- BINs: a valid checksum, the 5th digit 4/5/6 is not a month
        ('070952307204', true, null, null),
        ('200553772051', true, null, null),
        -- checksum fails (two digits swapped, one changed)
        ('739007485276', false, null, null),
        ('730907485277', false, null, null),
        -- both sums are 10: never issued
        ('850307300610', false, null, null),
        ('73090748527', false, null, null),
        ('7309074852761', false, null, null),
        ('73090748527a', false, null, null),
        ('', null, null, null),
        (null, null, null, null)

),

results as (

    select
        raw_number,
        expected_is_valid,
        expected_birth_date,
        expected_sex,
        {{ iin_bin_is_valid('raw_number') }} as actual_is_valid,
        {{ iin_birth_date('raw_number') }} as actual_birth_date,
        {{ iin_sex('raw_number') }} as actual_sex
    from cases

)

select *
from results
where
    actual_is_valid is distinct from expected_is_valid
    or actual_birth_date is distinct from expected_birth_date
    or actual_sex is distinct from expected_sex
