"""The fleet comparison (issue 11): the full pipeline on PostgreSQL + Redis beside the same pipeline on SQLite,
for a gateway key with limits (rpm, tpm, budget: every round trip to Redis) and without (no Redis round trip).

Throwaway servers in the bench's temp dir: PostgreSQL 15 (initdb, trust auth on 127.0.0.1, default durability:
fsync on, as a deployment runs it) and Redis (no persistence). Both run unpinned at default scheduling, like
everything in the bench; their CPU is measured apart from the gateway's."""
import os
import pwd
import shutil
import subprocess
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
FLEET_PATHS = ["passgate", "passgate_limits", "fleet", "fleet_limits"]


def _as_postgres_user():
    """PostgreSQL refuses to run as root: run it as the `postgres` system user then."""
    if os.geteuid() != 0:
        return [], None
    pw = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"], pw


def start_postgres(procs, tmp, free_port, wait_port):
    """Starts a PostgreSQL server; returns (its process, a connection URL)."""
    if not os.path.exists(os.path.join(PG_BIN, "postgres")):
        raise RuntimeError("PostgreSQL 15 is not installed: run scripts/install-deps.sh --tests")
    prefix, pw = _as_postgres_user()
    home = os.path.join(tmp, "postgres")
    os.makedirs(home, exist_ok=True)
    if pw:
        os.chown(home, pw.pw_uid, pw.pw_gid)
    data = os.path.join(home, "data")
    subprocess.run(prefix + [os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "passgate", "-A", "trust"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    log = open(os.path.join(tmp, "postgres.log"), "w")
    proc = procs.start(prefix + [os.path.join(PG_BIN, "postgres"), "-D", data, "-p", str(port), "-k", home,
                                 "-c", "listen_addresses=127.0.0.1"], None, stdout=log, stderr=log)
    wait_port(port, timeout=30)
    url = f"postgresql://passgate@127.0.0.1:{port}/postgres"
    # Accepting TCP is not yet accepting queries: wait for a real one.
    for _ in range(100):
        if subprocess.run(prefix + [os.path.join(PG_BIN, "psql"), url, "-c", "select 1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    return proc, url


def start_redis(procs, tmp, free_port, wait_port):
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(exe):
        raise RuntimeError("redis-server is not installed: run scripts/install-deps.sh --tests")
    port = free_port()
    proc = procs.start([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", tmp], None, stdout=open(os.path.join(tmp, "redis.log"), "w"))
    wait_port(port)
    return proc, f"redis://127.0.0.1:{port}"


def fleet_store(pg_url, redis_url, tmp, name):
    """The store and redis part of a fleet instance's config (it replaces the SQLite `store:`)."""
    return (f"store:\n  postgres: \"{pg_url}\"\n  spool_dir: \"{tmp}/{name}-spool\"\n"
            f"redis:\n  url: \"{redis_url}\"\n")


def fleet_table(runs, med, fmt, signed, ratio):
    """Section 9: the same requests through passgate on SQLite and on PostgreSQL + Redis."""
    def m(scenario, path, key):
        # bench_client names its latency figures ttfb_*: for a JSON answer that is the whole answer's time.
        return med([r.get(key, r.get("ttfb_" + key)) for r in runs if r["scenario"] == scenario and r["path"] == path])

    def cpu_us(scenario, path, key):
        return med([r[key] / r["requests"] * 1e6 for r in runs
                    if r["scenario"] == scenario and r["path"] == path and r.get("requests")])

    direct_p99 = m("fleet_c1", "direct", "p99_us")
    L = ["| store | gateway key | requests/s, c=16 | vs SQLite, same key | added p99 at c=1 over direct | "
         "gateway CPU per request | PostgreSQL + Redis CPU per request |",
         "|---|---|---|---|---|---|---|"]
    for path, store, key in (("passgate", "SQLite", "no limits"), ("passgate_limits", "SQLite", "rpm + tpm + budget"),
                             ("fleet", "PostgreSQL + Redis", "no limits"),
                             ("fleet_limits", "PostgreSQL + Redis", "rpm + tpm + budget")):
        base = "passgate" if "limits" not in path else "passgate_limits"
        rps = m("fleet_c16", path, "rps")
        p99 = m("fleet_c1", path, "p99_us")
        added = p99 - direct_p99 if p99 is not None and direct_p99 is not None else None
        servers = cpu_us("fleet_c16", path, "servers_cpu_s") if path.startswith("fleet") else None
        L.append(f"| {store} | {key} | {fmt(rps)} | {ratio(rps, m('fleet_c16', base, 'rps'))} | "
                 f"{signed(added)} µs | {fmt(cpu_us('fleet_c16', path, 'proxy_cpu_s'), 1)} µs | "
                 f"{fmt(servers, 1) + ' µs' if servers is not None else '–'} |")
    return L
