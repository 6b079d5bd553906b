{#- The segment map (seeds/rfm_segments.csv) gives every (r_score, f_score) pair, 1..5
    each, exactly one segment: a row per pair that no segment or several segments hold,
    and per segment whose ranges are empty or leave 1..5. -#}

with

scores as (

    select unnest(range(1, 6)) as score

),

score_pairs as (

    select
        r.score as r_score,
        f.score as f_score

    from scores as r
    cross join scores as f

),

segments_per_pair as (

    select
        score_pairs.r_score,
        score_pairs.f_score,
        count(segments.segment) as segments,
        string_agg(segments.segment, ', ') as segment_names

    from score_pairs
    left join {{ ref('rfm_segments') }} as segments
        on score_pairs.r_score between segments.r_score_min and segments.r_score_max
        and score_pairs.f_score between segments.f_score_min and segments.f_score_max
    group by score_pairs.r_score, score_pairs.f_score

)

select
    'R' || r_score || ' F' || f_score as problem_at,
    case when segments = 0 then 'no segment' else 'several segments: ' || segment_names end as problem

from segments_per_pair
where segments != 1

union all

select
    segment as problem_at,
    'ranges outside 1..5 or min > max' as problem

from {{ ref('rfm_segments') }}
where r_score_min < 1 or r_score_max > 5 or r_score_min > r_score_max
    or f_score_min < 1 or f_score_max > 5 or f_score_min > f_score_max
