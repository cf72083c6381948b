"""How a StackSet operation runs over its accounts, as AWS runs it (rolegate_stacksets.py
starts operations here): batches of accounts at once, failure tolerance, Region order.

  * OperationPreferences are checked as AWS checks them: FailureToleranceCount with
    FailureTolerancePercentage, or MaxConcurrentCount with MaxConcurrentPercentage, is a
    ValidationError ("Exactly one of ... must be specified since both parameters are
    present"); a count or percentage below its range (tolerance under 0, concurrency
    under 1, a percentage over 100), an unknown ConcurrencyMode or RegionConcurrencyType
    is a ValidationError naming the field.
  * Concurrency, per Region: MaxConcurrentCount accounts at once, or MaxConcurrentPercentage
    of the Region's target accounts rounded down and at least 1; 1 when neither is given.
    ConcurrencyMode STRICT_FAILURE_TOLERANCE (the default) lowers it to the failure
    tolerance + 1, then by each failure so far, so no more than tolerance + 1 accounts
    can fail; SOFT_FAILURE_TOLERANCE keeps it whatever fails.
  * The accounts of a batch run at the same time: their results are RUNNING together for
    the operation's running time (POST /_rolegate/stacksets), then each ends SUCCEEDED or
    FAILED. Past the tolerance (FailureToleranceCount, or FailureTolerancePercentage of
    the Region's accounts rounded down; 0 by default) the Region stops: its accounts not
    yet started are CANCELLED, and so is every Region after it.
  * RegionConcurrencyType SEQUENTIAL (the default) runs one Region after another
    (RegionOrder, then the order asked); PARALLEL runs every Region's batches at the
    same time, each Region stopping on its own tolerance.
  * StopStackSetOperation of a RUNNING operation makes it STOPPING: the batch running
    finishes, the accounts not started are CANCELLED, then it is STOPPED. Stopping an
    operation that has ended is InvalidOperationException (moto marked any operation
    STOPPED at once, and kept running nothing).
"""

import threading
import time
import uuid

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.utils import utcnow

DEFAULT_RUNNING = 0.5
running = {}  # administrator account -> seconds a batch of accounts stays RUNNING
lock = threading.RLock()

CANCELLED_REASON = "Cancelled since failure tolerance has exceeded"


class OperationInProgressException(CloudFormationError):
    code = "OperationInProgressException"


class OperationIdAlreadyExistsException(CloudFormationError):
    code = "OperationIdAlreadyExistsException"


class InvalidOperationException(CloudFormationError):
    code = "InvalidOperationException"


def _given(preferences, key):
    return preferences.get(key) not in (None, "")


def _number(preferences, key, low, high):
    value = preferences[key]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(message=f"{key} must be a whole number, not {value!r}")
    if number < low or (high is not None and number > high):
        upper = f" and at most {high}" if high is not None else ""
        raise ValidationError(message=f"{key} must be at least {low}{upper}, not {number}")
    return number


def check_preferences(preferences):
    """Refuse OperationPreferences AWS refuses (ValidationError naming the field)."""
    for count, percentage in (("FailureToleranceCount", "FailureTolerancePercentage"), ("MaxConcurrentCount", "MaxConcurrentPercentage")):
        if _given(preferences, count) and _given(preferences, percentage):
            raise ValidationError(message=f"Exactly one of {percentage} and {count} must be specified since both parameters are present")
    for key, low, high in (
        ("FailureToleranceCount", 0, None),
        ("FailureTolerancePercentage", 0, 100),
        ("MaxConcurrentCount", 1, None),
        ("MaxConcurrentPercentage", 1, 100),
    ):
        if _given(preferences, key):
            _number(preferences, key, low, high)
    for key, allowed in (
        ("ConcurrencyMode", ("STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE")),
        ("RegionConcurrencyType", ("SEQUENTIAL", "PARALLEL")),
    ):
        if _given(preferences, key) and preferences[key] not in allowed:
            raise ValidationError(message=f"{key} must be one of {', '.join(allowed)}, not {preferences[key]!r}")


def tolerance(preferences, count):
    """How many of a Region's `count` accounts may fail before the Region stops."""
    if _given(preferences, "FailureToleranceCount"):
        return int(preferences["FailureToleranceCount"])
    if _given(preferences, "FailureTolerancePercentage"):
        return int(preferences["FailureTolerancePercentage"]) * count // 100
    return 0


def max_concurrency(preferences, count):
    """The most of a Region's `count` accounts the preferences allow at once."""
    if _given(preferences, "MaxConcurrentCount"):
        return int(preferences["MaxConcurrentCount"])
    if _given(preferences, "MaxConcurrentPercentage"):
        return max(1, int(preferences["MaxConcurrentPercentage"]) * count // 100)
    return 1


def batch_size(preferences, count, failed):
    """How many accounts of the Region start next, `failed` having failed so far."""
    most = max_concurrency(preferences, count)
    if preferences.get("ConcurrencyMode") == "SOFT_FAILURE_TOLERANCE":
        return most
    return max(1, min(most, tolerance(preferences, count) + 1 - failed))


def busy(stackset):
    return any(op["Status"] in ("QUEUED", "RUNNING", "STOPPING") for op in stackset.operations)


def start(stackset, action, operation_id, work, preferences, apply):
    """Record a RUNNING operation over `work` [(region, account, instance)] and run it in
    the background, `apply(stackset, action, instance, preferences)` answering None or
    the reason an instance failed."""
    check_preferences(preferences)
    with lock:
        if operation_id and any(op["OperationId"] == operation_id for op in stackset.operations):
            raise OperationIdAlreadyExistsException(f"The operation id {operation_id} already exists")
        if busy(stackset):
            raise OperationInProgressException(f"Another Operation on StackSet {stackset.arn} is in progress")
        op = stackset._create_operation(operation_id or str(uuid.uuid4()), action=action, status="RUNNING")
        op["EndTimestamp"] = None
        op["Instances"] = [{account: region} for region, account, _ in work]
        op["Results"] = [{"Account": account, "Region": region, "Status": "PENDING"} for region, account, _ in work]
        op["FailedCount"] = 0
        op["OperationPreferences"] = dict(preferences)
        for _, _, inst in work:
            inst.rg_operation = op["OperationId"]
            if inst.rg_status != "CURRENT" or action == "DELETE":
                inst.rg_detail = "PENDING"
        delay = running.get(stackset.instances.account_id, DEFAULT_RUNNING)
    thread = threading.Thread(target=_run, args=(stackset, op, work, preferences, delay, apply), daemon=True)
    thread.start()
    return op["OperationId"]


def stop(stackset, operation_id):
    """StopStackSetOperation: a RUNNING operation becomes STOPPING (its run cancels the rest)."""
    with lock:
        op = stackset.get_operation(operation_id)
        if op["Status"] not in ("RUNNING", "STOPPING"):
            raise InvalidOperationException(f"Operation {operation_id} on StackSet {stackset.name} is not in progress: {op['Status']}")
        op["Status"] = "STOPPING"


def _regions_in_order(regions, preferences):
    order = [r for r in preferences.get("RegionOrder", []) if r in regions]
    return order + [r for r in regions if r not in order]


class _Region:
    """One Region of an operation: its accounts' indexes not yet started, its failures."""

    def __init__(self, indexes):
        self.waiting, self.count, self.failed, self.stopped = list(indexes), len(indexes), 0, False


def _cancel(op, work, indexes, reason=CANCELLED_REASON):
    for index in indexes:
        op["Results"][index]["Status"] = "CANCELLED"
        if reason:
            op["Results"][index]["StatusReason"] = reason
        inst = work[index][2]
        inst.rg_detail, inst.rg_reason = "CANCELLED", reason


def _run(stackset, op, work, preferences, delay, apply):
    regions = _regions_in_order(list(dict.fromkeys(r for r, _, _ in work)), preferences)
    lanes = {r: _Region([i for i, w in enumerate(work) if w[0] == r]) for r in regions}
    groups = [regions] if preferences.get("RegionConcurrencyType") == "PARALLEL" else [[r] for r in regions]
    failed_operation = False
    for group in groups:
        if failed_operation or op["Status"] == "STOPPING":
            with lock:
                for region in group:
                    _cancel(op, work, lanes[region].waiting, CANCELLED_REASON if failed_operation else None)
            continue
        while True:
            with lock:
                batch = []
                if op["Status"] == "STOPPING":
                    for region in group:
                        _cancel(op, work, lanes[region].waiting, None)
                        lanes[region].waiting = []
                for region in group:
                    lane = lanes[region]
                    if lane.stopped or not lane.waiting:
                        continue
                    size = batch_size(preferences, lane.count, lane.failed)
                    started, lane.waiting = lane.waiting[:size], lane.waiting[size:]
                    batch += [(lane, index) for index in started]
                for _, index in batch:
                    op["Results"][index]["Status"] = "RUNNING"
                    work[index][2].rg_detail = "RUNNING"
            if not batch:
                break
            time.sleep(delay)
            with lock:
                for lane, index in batch:
                    result = op["Results"][index]
                    reason = apply(stackset, op["Action"], work[index][2], preferences)
                    if reason is None:
                        result["Status"] = "SUCCEEDED"
                        continue
                    result.update(Status="FAILED", StatusReason=reason)
                    lane.failed += 1
                    op["FailedCount"] += 1
                for lane in {id(lane): lane for lane, _ in batch}.values():
                    if lane.failed > tolerance(preferences, lane.count):
                        lane.stopped = True
                        _cancel(op, work, lane.waiting)
                        lane.waiting = []
        failed_operation = any(lanes[r].stopped for r in group)
    with lock:
        if op["Status"] == "STOPPING":
            op["Status"] = "STOPPED"
        else:
            op["Status"] = "FAILED" if failed_operation else "SUCCEEDED"
        op["EndTimestamp"] = utcnow()
