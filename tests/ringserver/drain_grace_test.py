"""drain-grace: after SIGTERM, /healthz answers 503 for the grace while logins and new
connections are still served (a load balancer's health check takes the node out first), then the
listeners close and the drain proceeds as usual. RS_PORTS: [0] http; --drain-grace 1500ms."""
import os
import signal
import socket
import time

from rsclient import PORTS, Http, b64, check, initiator, metrics, run

(http,) = PORTS
pid = int(os.environ["RS_PID"])


def negotiate():
    return {"Authorization": "Negotiate " + b64(initiator().step())}


def test_grace_then_drain():
    kept = Http(http)
    st, _, body = kept.request("/healthz")
    check("healthy before SIGTERM", st == 200 and body == b"ok\n", (st, body))
    check("not draining before SIGTERM", metrics(http).get("negring_draining") == 0)
    os.kill(pid, signal.SIGTERM)
    t0 = time.monotonic()
    time.sleep(0.1)
    st, hdrs, _ = kept.request("/healthz")
    check("/healthz 503 on a kept connection in the grace", st == 503, st)
    check("with Retry-After", "retry-after" in hdrs, hdrs)
    fresh = Http(http)
    st, _, _ = fresh.request("/healthz")
    check("/healthz 503 on a new connection in the grace", st == 503, st)
    st, _, _ = fresh.request("/", negotiate())
    check("logins still served in the grace", st == 200, st)
    check("draining gauge 1 in the grace", metrics(http).get("negring_draining") == 1)
    fresh.close()
    check("the grace is not over yet", time.monotonic() - t0 < 1.4, time.monotonic() - t0)
    refused_at = None
    while time.monotonic() - t0 < 6:
        try:
            socket.create_connection(("127.0.0.1", http), timeout=1).close()
        except ConnectionRefusedError:
            refused_at = time.monotonic() - t0
            break
        time.sleep(0.05)
    check("listeners close once the grace is over", refused_at is not None and refused_at >= 1.4,
          refused_at)
    kept.close()


run(test_grace_then_drain)
