"""A store's POS, simulated against the real `stateline serve` (standard library only).

It takes Metrc down (the emulator's control API: every Metrc request answered 503), rings SALES
sales through the local API from several tills at once, and checks that each was answered 201
only once it was committed: the record it names is there at once, waiting (pending, being sent,
or ambiguous after a 503), not reported. It resends some tickets unchanged (200, the same record, `replayed`) and
one with another body (409 `ticket_conflict`). Then it brings Metrc back, follows the stream of
changes (/v1/events) and the status until the backlog is drained, and checks in the emulator
that every sale is there exactly once, by its ExternalReceiptNumber (the record's client id),
stamped with the time it was sold (in the licence's time zone), and that the stream told of each
one's confirmation. Times are taken from the register's own clock (/v1/status `as_of`), so the
run works under a moved clock too.

Usage: simulator.py --api URL --token TOKEN --metrc URL [--sales N] [--tills N] [--resend N]
Exit 0 when everything holds; otherwise 1, listing what did not.
"""

import argparse
import http.client
import json
import queue
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo


# What a record committed while Metrc is down may say: waiting, being sent, or — sent into the
# outage and answered 503 — ambiguous (looked up in Metrc before it is ever sent again).
WAITING = ("pending", "sending", "ambiguous")


class Failed(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Failed(what)


class Api:
    """One keep-alive connection to the local API (one per till)."""

    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.conn = None

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None)
            except (ConnectionError, http.client.HTTPException):
                # A keep-alive connection the server closed: reconnect once. A sale resent this
                # way is still safe (the ticket id makes it idempotent).
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise


def emulator(metrc, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{metrc}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def plan_lines(packages, count):
    """`count` one-line sales spread over the packages, each taking at most half of what is on
    hand: a tenth of a gram of a package sold by weight, one of a package sold by the unit."""
    slots = []
    for p in packages:
        on_hand = Decimal(p["on_hand"])
        step = Decimal("0.1") if p["unit_of_measure"].lower().startswith("gram") else Decimal(1)
        slots.append([p, step, int(on_hand / 2 / step)])
    lines = []
    while len(lines) < count:
        progressed = False
        for slot in slots:
            if slot[2] > 0 and len(lines) < count:
                slot[2] -= 1
                lines.append((slot[0], slot[1]))
                progressed = True
        check(progressed, f"the demo packages hold enough for only {len(lines)} sales")
    return lines


class Events(threading.Thread):
    """Follows /v1/events from the first change on, keeping each ticket's states."""

    def __init__(self, base, token):
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.states = {}
        self.count = 0
        self.last_id = None
        self.error = None
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        url = urllib.parse.urlsplit(self.base)
        while not self.stop.is_set():
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            try:
                since = self.last_id if self.last_id is not None else "0"
                conn.request("GET", f"/v1/events?since={since}",
                             headers={"Authorization": f"Bearer {self.token}",
                                      "Accept": "text/event-stream"})
                response = conn.getresponse()
                if response.status != 200:
                    self.error = f"/v1/events answered {response.status}"
                    return
                event, data, event_id = None, [], None
                while not self.stop.is_set():
                    raw = response.readline()
                    if not raw:
                        break
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line == "":
                        if event == "record" and data:
                            record = json.loads("\n".join(data))
                            with self.lock:
                                self.states.setdefault(record["ticket_id"], []).append(
                                    record["state"])
                                self.count += 1
                                self.last_id = event_id
                        event, data, event_id = None, [], None
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                time.sleep(0.2)
            finally:
                conn.close()

    def confirmed(self, ticket):
        with self.lock:
            return "confirmed" in self.states.get(ticket, [])


def ring(args, sales, results, errors):
    """One till: rings the sales it takes from the queue, checking each answer."""
    api = Api(args.api, args.token)
    while True:
        try:
            ticket, body = sales.get_nowait()
        except queue.Empty:
            return
        try:
            status, record = api.call("POST", "/v1/sales", body)
            check(status == 201, f"{ticket}: POST /v1/sales answered {status} {record}")
            check(record["ticket_id"] == ticket and record["kind"] == "sale",
                  f"{ticket}: the answer names another record: {record}")
            # Answered 201: committed, so it is there now, and Metrc (down) cannot have it.
            status, now = api.call("GET", f"/v1/records/{urllib.parse.quote(ticket)}")
            check(status == 200, f"{ticket}: answered 201 but not found after ({status} {now})")
            check(now["client_id"] == record["client_id"], f"{ticket}: another record {now}")
            check(now["state"] in WAITING and not now["reported"],
                  f"{ticket}: with Metrc down it is {now['state']}, reported={now['reported']}")
            results[ticket] = (record["client_id"], body["sold_at"])
        except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
            errors.append(f"{ticket}: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--metrc", required=True)
    parser.add_argument("--licence", default="403R-00001")
    parser.add_argument("--time-zone", default="America/Denver")
    parser.add_argument("--budtender", default="Bea")
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--resend", type=int, default=100)
    # The drain includes the engine's lookups of the records sent into the outage (two misses a
    # settle window apart, 60 s, before one is sent again), so it takes a few minutes.
    parser.add_argument("--drain-timeout", type=float, default=420)
    args = parser.parse_args()
    api = Api(args.api, args.token)
    zone = ZoneInfo(args.time_zone)

    status, view = api.call("GET", "/v1/status")
    check(status == 200, f"/v1/status answered {status}")
    now = parse_time(view["as_of"])
    status, packages = api.call("GET", f"/v1/packages?licence={args.licence}")
    check(status == 200 and packages, f"/v1/packages answered {status} {packages}")

    # The sales: ticket ids of this run, sold over the last hour by the register's clock (whole
    # seconds, as a POS sends them), oldest first.
    run = now.strftime("%Y%m%d%H%M%S")
    start = now.replace(microsecond=0) - timedelta(minutes=60)
    bodies = {}
    for n, (package, step) in enumerate(plan_lines(packages, args.sales)):
        ticket = f"SIM-{run}-{n:05d}"
        sold_at = (start + timedelta(seconds=2 * n)).astimezone(timezone.utc)
        bodies[ticket] = {
            "ticket_id": ticket,
            "budtender": args.budtender,
            "sold_at": sold_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lines": [{"label": package["label"], "quantity": str(step), "price": "5.00"}],
        }

    emulator(args.metrc, "PUT", "/__emulator/faults", {"outage_503": {}})
    print(f"simulator: Metrc is down (503); ringing {len(bodies)} sales from {args.tills} tills")
    events = Events(args.api, args.token)
    events.start()
    sales = queue.Queue()
    for item in bodies.items():
        sales.put(item)
    results, errors = {}, []
    began = time.monotonic()
    tills = [threading.Thread(target=ring, args=(args, sales, results, errors))
             for _ in range(args.tills)]
    for till in tills:
        till.start()
    for till in tills:
        till.join()
    took = time.monotonic() - began
    print(f"simulator: {len(results)} sales answered 201 and read back pending in {took:.1f} s "
          f"({len(results) / took:.0f} sales/s with a read-back each)")
    check(not errors, f"{len(errors)} sale(s) went wrong, e.g. {errors[:5]}")

    # Resends: the same body is the same record (200, replayed); another body is a conflict.
    resent = list(bodies)[:: max(1, len(bodies) // max(1, args.resend))][: args.resend]
    for ticket in resent:
        status, record = api.call("POST", "/v1/sales", bodies[ticket])
        check(status == 200 and record["replayed"] and record["client_id"] == results[ticket][0],
              f"{ticket} resent: {status} {record}")
    changed = dict(bodies[resent[0]], lines=[dict(bodies[resent[0]]["lines"][0], price="6.00")])
    status, answer = api.call("POST", "/v1/sales", changed)
    check(status == 409 and answer["code"] == "ticket_conflict",
          f"another body for {resent[0]}: {status} {answer}")
    print(f"simulator: {len(resent)} resent tickets replayed (200), another body refused (409)")

    state = emulator(args.metrc, "GET", f"/__emulator/state?licenseNumber={args.licence}")
    ours = {client_id for client_id, _ in results.values()}
    early = [r for r in state["receipts"] if r.get("external_receipt_number") in ours]
    check(not early, f"{len(early)} sale(s) reached Metrc while it was down")
    status, view = api.call("GET", "/v1/status")
    check(view["waiting_total"] >= len(bodies),
          f"the status shows {view['waiting_total']} waiting, fewer than the {len(bodies)} rung")

    emulator(args.metrc, "PUT", "/__emulator/faults", {})
    print("simulator: Metrc is back; waiting for the backlog to drain")
    began = time.monotonic()
    while True:
        status, view = api.call("GET", "/v1/status")
        confirmed = sum(1 for t in bodies if events.confirmed(t))
        if view["waiting_total"] == 0 and confirmed == len(bodies):
            break
        if time.monotonic() - began > args.drain_timeout:
            raise Failed(f"not drained in {args.drain_timeout:.0f} s: {view['waiting_total']} "
                         f"waiting, {confirmed} confirmations streamed; status {view}")
        time.sleep(0.25)
    drained = time.monotonic() - began
    events.stop.set()
    check(events.error is None, f"the stream of changes failed: {events.error}")
    print(f"simulator: drained in {drained:.1f} s; the stream told of {events.count} changes, "
          f"every sale's confirmation among them")

    # Every record says confirmed, and Metrc has each sale exactly once, at its time of sale.
    for ticket in bodies:
        status, record = api.call("GET", f"/v1/records/{urllib.parse.quote(ticket)}")
        check(status == 200 and record["state"] == "confirmed" and record["reported"],
              f"{ticket} after the drain: {status} {record}")
    state = emulator(args.metrc, "GET", f"/__emulator/state?licenseNumber={args.licence}")
    by_client = {}
    for receipt in state["receipts"]:
        number = receipt.get("external_receipt_number")
        if number in ours:
            by_client.setdefault(number, []).append(receipt)
    problems = []
    for ticket, (client_id, sold_at) in results.items():
        found = by_client.get(client_id, [])
        if len(found) != 1:
            problems.append(f"{ticket} ({client_id}) is in Metrc {len(found)} times")
            continue
        local = parse_time(sold_at).astimezone(zone).replace(tzinfo=None)
        sent = datetime.fromisoformat(found[0]["sales_date_time"])
        if sent.replace(microsecond=0) != local:
            problems.append(f"{ticket}: Metrc has {found[0]['sales_date_time']}, sold at {local}")
    check(not problems, f"{len(problems)} sale(s) wrong in Metrc, e.g. {problems[:5]}")
    print(f"simulator: Metrc holds each of the {len(results)} sales exactly once, "
          f"at the time it was sold")


if __name__ == "__main__":
    try:
        main()
    except Failed as failure:
        print(f"simulator: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
