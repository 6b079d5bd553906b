"""How often, and after how long, a step that talks to a CRM is tried again."""

from __future__ import annotations

from dagster import (
    AssetExecutionContext,
    Backoff,
    Jitter,
    RetryPolicy,
    RetryRequested,
)

# A portal that is down for a few minutes (an update, a network blip) should not
# cost a night's data: three more tries, waiting about 1, 3 and 7 minutes before
# each, moved by up to a minute either way so that the branches' portals are not
# all asked again at the same moment. The clients already retry each request a few
# seconds apart (pipelines/common/backoff.py); this is for outages that outlast them.
CRM_RETRY_POLICY = RetryPolicy(
    max_retries=3,
    delay=60,
    backoff=Backoff.EXPONENTIAL,
    jitter=Jitter.PLUS_MINUS,
)
# the tags Dagster puts on the runs its schedules and sensors start
_UNATTENDED_TAGS = ("dagster/schedule_name", "dagster/sensor_name")


def unattended(context: AssetExecutionContext) -> bool:
    """Whether nobody is watching this run: the schedule or a sensor started it.

    Only such runs wait and try again; a run a person starts (`c360 run`, the UI's
    Materialize) fails at once and says why, and the person decides.
    """
    return any(tag in context.run.tags for tag in _UNATTENDED_TAGS)


def retry_later(
    context: AssetExecutionContext, policy: RetryPolicy | None = None
) -> RetryRequested | None:
    """The policy's next try for an unattended run (raise it `from` the error),
    None for a run a person started (raise the error itself).

    Raised rather than declared on the asset: dagster-dlt's decorator takes no
    retry policy, and a declared one would also retry what waiting cannot fix (a
    missing token, a mapping the CRM rejects) and the runs a person watches.
    """
    if not unattended(context):
        return None
    policy = policy or CRM_RETRY_POLICY
    return RetryRequested(
        max_retries=policy.max_retries,
        # Dagster's own reading of a policy: attempt n waits (2^n - 1) x delay
        seconds_to_wait=policy.calculate_delay(context.retry_number + 1),
    )
