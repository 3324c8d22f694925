#!/usr/bin/python3
"""soak.py -- many polls against the feed simulator with faults, kills and a
moving clock; afterwards the store must equal a clean run's.

    scripts/soak.py --bin build/suqiu                 # make soak: the long run
    scripts/soak.py --bin build/suqiu --short         # make check: about a minute

What one run does, with a seeded random generator (--seed; printed, so a
failure can be replayed):

  * starts scripts/feedsim.py on 127.0.0.1 with its clock at --start, and
    writes a configuration of the four feeds with small pages (many pages,
    many commit points) and fast retries;
  * moves the simulated clock forward in --steps steps to --end; at each
    step it makes a few *faulty* poll attempts -- each with random faults
    queued in the simulator (HTTP 5xx, 429 with Retry-After, the feeds' own
    error codes, cut-off and invalid JSON, missing envelopes, broken and
    undeclared charsets, slow and stalled answers, oversized pages) and, at
    random, SUQIU_CRASH_AT (the process _exits at a commit point) or a
    SIGKILL at a random instant -- then clears the faults and polls until a
    run succeeds ("settles");
  * polls a second, reference database once per step with no faults at all;
  * after every step compares the two stores' canonical dumps (complaints,
    their history and declared links, cursors, quarantine; no row ids, no
    wall-clock columns): any complaint missing, extra or different is lost
    data, and the run fails;
  * runs PRAGMA integrity_check after every kill and at the end;
  * runs a sample of settled polls under valgrind --leak-check=full (unless
    the binary is built with AddressSanitizer, whose leak check then runs
    on every poll) and watches the peak RSS of settled polls stay flat;
  * when the alerts module is present (an outbox table and scripts/smtpd.py),
    also takes the SMTP server down and up and checks that every flag
    revision's mail arrived exactly once, in-doubt rows (a run killed while
    sending) excepted as documented.

Faults that by design lose the record they damage (bad_record: a record
without an id is quarantined, not retried) are left out: this test is about
the faults after which nothing may be lost.

Exit status 0 when nothing was lost and every check held; 1 otherwise.
"""
import argparse
import datetime
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PYTHON = "/usr/bin/python3"
CST = datetime.timezone(datetime.timedelta(hours=8))

COMMON_FAULTS = ["http500", "http503", "http502", "http504", "http429", "http429_date",
                 "truncated", "invalid_json", "missing_envelope", "slow", "stall", "huge"]
FEED_FAULTS = {
    "hotline": ["code42901", "code50000", "code40001", "code40101"],
    "liaison": ["http401", "http400_cursor", "invalid_gbk", "undeclared_charset"],
    "citymgmt": ["http403_key", "http400_other"],
    "open311": ["http403_key", "http400_other"],
}
CRASH_POINTS = ["after_fetch", "mid_page", "before_commit", "after_commit"]
# The alert mail's own points, when the alerts module is in the binary.
MAIL_CRASH_POINTS = ["after_detect", "after_claim", "after_send"]

# The canonical dump of tests/cli/lib.sh (canonical_dump): what a poll
# stored, without row ids or wall-clock columns.
CANONICAL = [
    """SELECT 'C', source, source_id, source_type, received_at, updated_at, kind, channel,
              title, text, category, category_raw, street, community, grid, address, lat,
              lon, contact_hash, contact_masked, contact_raw, status, status_raw, deadline,
              satisfaction, handler, raw, resolved_at
         FROM complaints ORDER BY source, source_id""",
    """SELECT 'H', c.source, c.source_id, h.updated_at, h.status, h.status_raw, h.title,
              h.text, h.category, h.community, h.address, h.deadline, h.satisfaction,
              h.handler, h.raw
         FROM complaint_history h JOIN complaints c ON c.id = h.complaint_id
         ORDER BY c.source, c.source_id, h.updated_at""",
    """SELECT 'L', c.source, c.source_id, l.kind, l.target_type, l.target_id
         FROM complaint_links l JOIN complaints c ON c.id = l.complaint_id
         ORDER BY 2, 3, 4, 5, 6""",
    "SELECT 'K', source, cursor FROM cursors ORDER BY source",
    "SELECT 'Q', source, source_id, reason, raw FROM quarantine ORDER BY source, source_id, reason",
]


def rfc3339(moment):
    return moment.astimezone(CST).isoformat(timespec="seconds")


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = args.work
        self.db = os.path.join(self.work, "soak.db")
        self.ref_db = os.path.join(self.work, "reference.db")
        self.config = os.path.join(self.work, "suqiu.yaml")
        self.ref_config = os.path.join(self.work, "reference.yaml")
        self.maildir = os.path.join(self.work, "mail")
        self.smtp_port = None
        self.smtp_up = False
        self.mail_enabled = False
        self.sim = None
        self.sim_url = None
        self.smtp = None
        self.now = None
        self.asan = self.binary_has_asan(args.bin)
        self.valgrind = (not self.asan and args.valgrind_every > 0 and
                         subprocess.call(["sh", "-c", "command -v valgrind"],
                                         stdout=subprocess.DEVNULL) == 0)
        self.fig = dict(runs=0, faulty_runs=0, settle_runs=0, reference_runs=0, kills=0,
                        sigkills=0, crash_points=0, faults=0, exit_partial=0,
                        integrity_checks=0, valgrind_runs=0, steps=0, smtp_toggles=0)
        self.fault_kinds = {}
        self.problems = []
        self.rss_settled = []   # (step, KiB)
        self.durations = []     # seconds of faulty runs that ended by themselves

    # ---- set-up ------------------------------------------------------------

    @staticmethod
    def binary_has_asan(path):
        try:
            with open(path, "rb") as f:
                return b"__asan_init" in f.read()
        except OSError:
            return False

    def start_sim(self):
        port_file = os.path.join(self.work, "sim.port")
        log = open(os.path.join(self.work, "sim.log"), "ab")
        self.sim = subprocess.Popen(
            [PYTHON, os.path.join(self.args.top, "scripts/feedsim.py"), "--port", "0",
             "--port-file", port_file, "--now", rfc3339(self.now)],
            stdout=log, stderr=log)
        for _ in range(200):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            if self.sim.poll() is not None:
                raise SystemExit("soak: feedsim did not start; see " + log.name)
            time.sleep(0.05)
        with open(port_file) as f:
            self.sim_url = "http://127.0.0.1:%d" % int(f.read().strip())

    def alerts_available(self):
        """The binary has the alerts command and the repository its SMTP server."""
        if not os.path.exists(os.path.join(self.args.top, "scripts/smtpd.py")):
            return False
        out = subprocess.run([self.args.bin, "help"], capture_output=True, text=True).stdout
        return any(l.split()[:1] == ["alerts"] for l in out.splitlines())

    def smtp_start(self):
        port_file = os.path.join(self.work, "smtp.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.work, "smtpd.log"), "ab")
        self.smtp = subprocess.Popen(
            [PYTHON, os.path.join(self.args.top, "scripts/smtpd.py"), "--maildir", self.maildir,
             "--port", str(self.smtp_port or 0), "--port-file", port_file],
            stdout=log, stderr=log)
        for _ in range(200):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            if self.smtp.poll() is not None:
                # The port of the previous server may linger a moment.
                time.sleep(0.2)
                return self.smtp_start()
            time.sleep(0.05)
        with open(port_file) as f:
            self.smtp_port = int(f.read().strip())
        self.smtp_up = True

    def smtp_stop(self):
        if self.smtp and self.smtp.poll() is None:
            self.smtp.terminate()
            self.smtp.wait(timeout=10)
        self.smtp_up = False

    def smtp_set(self, up):
        if up != self.smtp_up:
            self.fig["smtp_toggles"] += 1
            self.smtp_start() if up else self.smtp_stop()

    def control(self, command):
        req = urllib.request.Request(self.sim_url + "/_control",
                                     data=json.dumps(command).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def write_config(self):
        sec = os.path.join(self.work, "secrets")
        os.makedirs(sec, exist_ok=True)
        for name, value in [("hotline.secret", "demo-secret"), ("liaison.token", "demo-token"),
                            ("citymgmt.key", "demo-key"),
                            ("site.key", "site-key-for-soak-0123456789abcdef")]:
            path = os.path.join(sec, name)
            with open(path, "w") as f:
                f.write(value + "\n")
            os.chmod(path, 0o600)
        start = "2024-05-01T00:00:00+08:00"
        text = f"""database: {self.db}
taxonomy: {self.args.top}/config/taxonomy.yaml
privacy:
  site_key_file: {sec}/site.key
  keep_raw_contact: true
sources:
  - name: hotline
    type: hotline12345
    base_url: {self.sim_url}/hotline
    app_key: demo
    app_secret_file: {sec}/hotline.secret
    page_size: 10
    start_from: {start}
  - name: liaison
    type: deputy_liaison
    base_url: {self.sim_url}/liaison
    token_file: {sec}/liaison.token
    page_size: 10
    start_from: {start}
  - name: citymgmt
    type: city_mgmt
    base_url: {self.sim_url}/citymgmt
    api_key_file: {sec}/citymgmt.key
    page_size: 10
    start_from: {start}
  - name: open311
    type: open311
    base_url: {self.sim_url}/open311
    page_size: 5
    start_from: {start}
areas:
  district: 荔湾区
  street: 金花街道
  communities:
    - name: 西华路社区
      aliases: [西华社区]
      grid_prefix: "440103009001"
      center: [113.2440, 23.1293]
    - name: 恩宁路社区
      aliases: [恩宁社区]
      grid_prefix: "440103009002"
      center: [113.2470, 23.1260]
    - name: 多宝路社区
      aliases: [多宝社区]
      grid_prefix: "440103009003"
      center: [113.2420, 23.1240]
http:
  connect_timeout: 1s
  timeout: 3s
  low_speed_time: 1s
  max_attempts: 3
  backoff_base: 10ms
  backoff_max: 40ms
  retry_after_max: 1s
  budget: 20s
"""
        # The reference keeps its alerts in its outbox: no server to send to.
        with open(self.ref_config, "w", encoding="utf-8") as f:
            f.write(text)
        if self.mail_enabled:
            text += f"""alerts:
  smtp:
    url: smtp://127.0.0.1:{self.smtp_port}
    from: suqiu@example.gov.cn
    timeout: 2s
    retry_base: 1s
    retry_max: 2s
    in_doubt_after: 1s
  duty:
    - email: duty@example.gov.cn
"""
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    # ---- running suqiu -------------------------------------------------------

    def poll(self, db, env_extra=None, kill_after=None, valgrind_log=None, tag="run",
             command=("poll",), now=None):
        """One `suqiu poll` (or command): (status, peak RSS KiB or None,
        stderr tail).  status is the exit code, or -signal."""
        config = self.ref_config if db == self.ref_db else self.config
        cmd = [self.args.bin, "--config", config, "--db", db] + list(command)
        if valgrind_log:
            cmd = ["valgrind", "--leak-check=full", "--error-exitcode=99",
                   "--errors-for-leak-kinds=definite,indirect",
                   "--show-leak-kinds=definite,indirect", "--log-file=" + valgrind_log] + cmd
        env = dict(os.environ, SUQIU_NOW=rfc3339(now or self.now))
        env.pop("SUQIU_CRASH_AT", None)
        env.update(env_extra or {})
        err_path = os.path.join(self.work, "last.err")
        with open(err_path, "wb") as err:
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
            started = time.monotonic()
            deadline = started + (self.args.run_timeout * (30 if valgrind_log else 1))
            killed = False
            while True:
                pid, status, usage = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                t = time.monotonic()
                if kill_after is not None and not killed and t - started >= kill_after:
                    os.kill(p.pid, signal.SIGKILL)
                    killed = True
                if t > deadline:
                    os.kill(p.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(p.pid, 0)
                    self.problem(f"{tag}: poll hung past {self.args.run_timeout}s at {rfc3339(self.now)}")
                    break
                time.sleep(0.005)
            p.returncode = os.waitstatus_to_exitcode(status)
        with open(err_path, "rb") as f:
            tail = f.read().decode("utf-8", "replace").strip().splitlines()[-3:]
        self.fig["runs"] += 1
        return p.returncode, usage.ru_maxrss, tail

    def problem(self, text):
        print("soak: PROBLEM: " + text, flush=True)
        self.problems.append(text)

    def check_integrity(self, db, what):
        self.fig["integrity_checks"] += 1
        con = sqlite3.connect(db, timeout=30)
        try:
            res = [r[0] for r in con.execute("PRAGMA integrity_check")]
        finally:
            con.close()
        if res != ["ok"]:
            self.problem(f"integrity_check after {what}: {res[:3]}")

    @staticmethod
    def dump(db):
        con = sqlite3.connect(db, timeout=30)
        try:
            rows = []
            for q in CANONICAL:
                rows.extend(tuple(r) for r in con.execute(q))
            return rows
        finally:
            con.close()

    # ---- faults ------------------------------------------------------------------

    def inject_faults(self):
        faults = []
        for _ in range(self.rng.randint(0, 3)):
            feed = self.rng.choice(list(FEED_FAULTS))
            kind = self.rng.choice(COMMON_FAULTS + FEED_FAULTS[feed] +
                                   (["bad_record"] * 4 if self.args.include_lossy else []))
            f = {"feed": feed, "kind": kind, "count": self.rng.randint(1, 3)}
            if kind in ("http429", "http429_date", "code42901"):
                f["retry_after"] = 1
            if kind == "slow":
                f["seconds"] = round(self.rng.uniform(0.1, 0.6), 2)
            if kind == "stall":
                f["seconds"] = 1.5
            if kind == "huge":
                f["bytes"] = 1 << 20
            faults.append(f)
            self.fault_kinds[kind] = self.fault_kinds.get(kind, 0) + f["count"]
            self.fig["faults"] += f["count"]
        if faults:
            self.control({"faults": faults})

    # ---- the loop ------------------------------------------------------------------

    def faulty_attempt(self, step):
        self.inject_faults()
        if self.mail_enabled and self.rng.random() < 0.4:
            self.smtp_set(not self.smtp_up)
        mode = self.rng.random()
        env, kill_after = {}, None
        if mode < self.args.crash_rate:
            points = CRASH_POINTS + (MAIL_CRASH_POINTS if self.mail_enabled else [])
            point = self.rng.choice(points)
            env["SUQIU_CRASH_AT"] = "%s:%d" % (point, self.rng.randint(1, 2 if point in
                                                                       MAIL_CRASH_POINTS else 6))
        elif mode < self.args.crash_rate + self.args.kill_rate:
            # Anywhere in a run as long as the recent ones: early, mid-page,
            # in a commit, while linking.
            recent = self.durations[-8:] or [0.5]
            kill_after = self.rng.uniform(0.01, 1.1 * statistics.median(recent))
        started = time.monotonic()
        status, _, tail = self.poll(self.db, env, kill_after, tag=f"step {step} faulty")
        if status in (0, 1):
            self.durations.append(time.monotonic() - started)
        self.fig["faulty_runs"] += 1
        if status == -signal.SIGKILL or status == 137:
            self.fig["kills"] += 1
            self.fig["sigkills" if status < 0 else "crash_points"] += 1
            self.check_integrity(self.db, f"a kill at step {step}")
        elif status == 1:
            self.fig["exit_partial"] += 1
        elif status != 0:
            self.problem(f"step {step}: a faulty poll exited {status}: {' | '.join(tail)}")

    def settle(self, step, settle_index):
        self.control({"reset": True})
        if self.mail_enabled:
            self.smtp_set(True)
        for attempt in range(6):
            vlog = None
            if self.valgrind and settle_index % self.args.valgrind_every == 0 and attempt == 0:
                vlog = os.path.join(self.work, f"valgrind-{step}.log")
            status, rss, tail = self.poll(self.db, valgrind_log=vlog, tag=f"step {step} settle")
            self.fig["settle_runs"] += 1
            if vlog:
                self.fig["valgrind_runs"] += 1
                if status == 99:
                    with open(vlog, errors="replace") as f:
                        self.problem(f"step {step}: valgrind found leaks or errors: "
                                     + " ".join(f.read().split()[-40:]))
                    return
            elif status == 0 and rss:
                self.rss_settled.append((step, rss))
            if status == 0:
                return
            if status not in (1,):
                self.problem(f"step {step}: a settling poll exited {status}: {' | '.join(tail)}")
                return
            time.sleep(0.2)
        self.problem(f"step {step}: polls without faults still failed: {' | '.join(tail)}")

    def run(self):
        start = datetime.datetime.fromisoformat(self.args.start)
        end = datetime.datetime.fromisoformat(self.args.end)
        self.now = start
        self.start_sim()
        self.mail_enabled = self.alerts_available()
        if self.mail_enabled:
            self.smtp_start()
        self.write_config()
        t0 = time.monotonic()
        steps = self.args.steps
        for step in range(steps):
            self.now = start + (end - start) * step / max(1, steps - 1)
            self.control({"now": rfc3339(self.now)})
            self.fig["steps"] += 1
            for _ in range(self.rng.randint(1, self.args.attempts)):
                self.faulty_attempt(step)
            self.settle(step, step)
            self.control({"reset": True})
            status, _, tail = self.poll(self.ref_db, tag=f"step {step} reference")
            self.fig["reference_runs"] += 1
            if status != 0:
                self.problem(f"step {step}: the reference poll exited {status}: {' | '.join(tail)}")
            self.compare(step)
            if self.args.verbose:
                print(f"soak: step {step + 1}/{steps} at {rfc3339(self.now)}: "
                      f"{self.fig['runs']} runs, {self.fig['kills']} kills, "
                      f"{self.fig['faults']} faults", flush=True)
            if self.problems and not self.args.keep_going:
                break
        self.check_integrity(self.db, "the last step")
        self.final_checks()
        self.elapsed = time.monotonic() - t0

    def compare(self, step):
        soak, ref = self.dump(self.db), self.dump(self.ref_db)
        if soak == ref:
            return
        key = lambda r: r[:3]
        s, r = {key(x): x for x in soak}, {key(x): x for x in ref}
        lost = [k for k in r if k not in s]
        extra = [k for k in s if k not in r]
        diff = [k for k in r if k in s and s[k] != r[k]]
        self.lost = getattr(self, "lost", 0) + sum(1 for k in lost if k[0] == "C")
        self.problem(f"step {step} ({rfc3339(self.now)}): the store differs from the clean "
                     f"run's: {len(lost)} missing {lost[:3]}, {len(extra)} extra {extra[:3]}, "
                     f"{len(diff)} different {diff[:3]}")

    def final_checks(self):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self.records = con.execute("SELECT count(*) FROM complaints").fetchone()[0]
            self.history = con.execute("SELECT count(*) FROM complaint_history").fetchone()[0]
            self.unlinked = None
            if "incidents" in tables:
                self.unlinked = con.execute(
                    "SELECT count(*) FROM complaints WHERE incident_id IS NULL").fetchone()[0]
                if self.unlinked:
                    self.problem(f"{self.unlinked} complaints were left without an incident")
        finally:
            con.close()
        self.mail = "not checked: the alerts module (outbox, scripts/smtpd.py) is not in this build"
        if self.mail_enabled and "outbox" in tables:
            self.check_mail(end_now=self.now)

    def outbox(self):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            return [dict(zip(("id", "message_id", "state", "in_doubt", "attempts"), r))
                    for r in con.execute("SELECT id, message_id, state, in_doubt, attempts"
                                         " FROM outbox ORDER BY id")]
        finally:
            con.close()

    def check_mail(self, end_now):
        """Every flag revision's mail arrives exactly once; in-doubt rows (a
        run killed between handing the message over and recording it) may
        arrive twice, with the same Message-ID, as documented."""
        self.smtp_set(True)
        later = end_now
        for i in range(12):
            rows = self.outbox()
            if all(r["state"] == "sent" for r in rows):
                break
            # Retries wait on the store's clock: move it past any backoff.
            later = later + datetime.timedelta(minutes=10)
            status, _, tail = self.poll(self.db, command=("alerts", "send"), now=later,
                                        tag="final send")
            if status not in (0, 1):
                self.problem(f"final alerts send exited {status}: {' | '.join(tail)}")
                break
        rows = self.outbox()
        unsent = [r for r in rows if r["state"] != "sent"]
        if unsent:
            self.problem(f"{len(unsent)} alert mails were never delivered: {unsent[:3]}")
        got = {}
        for name in sorted(os.listdir(self.maildir)) if os.path.isdir(self.maildir) else []:
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(self.maildir, name), "rb") as f:
                for line in f.read().split(b"\r\n\r\n", 1)[0].splitlines():
                    if line.lower().startswith(b"message-id:"):
                        mid = line.split(b":", 1)[1].strip().decode()
                        got[mid] = got.get(mid, 0) + 1
        known = {r["message_id"]: r for r in rows}
        missing = [r["message_id"] for r in rows if got.get(r["message_id"], 0) == 0]
        twice = [m for m, n in got.items() if n > 1]
        twice_unexplained = [m for m in twice if m in known and not known[m]["in_doubt"]]
        strangers = [m for m in got if m not in known]
        in_doubt = sum(1 for r in rows if r["in_doubt"])
        self.mail = (f"{len(rows)} alert mails queued, {sum(got.values())} received by the SMTP "
                     f"server ({len(got)} distinct); {len(missing)} missing; "
                     f"{len(twice)} received twice, all of them in-doubt rows: "
                     f"{'yes' if not twice_unexplained else 'NO'} ({in_doubt} rows in doubt); "
                     f"server went down/up {self.fig['smtp_toggles']} times")
        if missing:
            self.problem(f"{len(missing)} alert mails never arrived: {missing[:3]}")
        if twice_unexplained:
            self.problem(f"{len(twice_unexplained)} alert mails arrived twice without being in "
                         f"doubt: {twice_unexplained[:3]}")
        if strangers:
            self.problem(f"{len(strangers)} mails arrived that the outbox does not know: "
                         f"{strangers[:3]}")

    def rss_flat(self):
        if len(self.rss_settled) < 4:
            return "too few settled runs to compare"
        third = max(1, len(self.rss_settled) // 3)
        early = [r for _, r in self.rss_settled[:third]]
        late = [r for _, r in self.rss_settled[-third:]]
        verdict = f"peak RSS of settled polls: first third max {max(early)} KiB, " \
                  f"last third max {max(late)} KiB (median {int(statistics.median(late))} KiB)"
        # A leak per run grows with the runs; data growth alone stays far below this.
        if max(late) > 2 * max(early) + 16 * 1024:
            self.problem("memory grew over the run: " + verdict)
        return verdict

    def report(self):
        f = self.fig
        lost = getattr(self, "lost", 0)
        print("---- soak figures ----")
        print(f"seed {self.args.seed}; {f['steps']} clock steps {self.args.start} .. {self.args.end}; "
              f"{self.elapsed:.0f} s")
        print(f"runs {f['runs']}: {f['faulty_runs']} faulty, {f['settle_runs']} settling, "
              f"{f['reference_runs']} reference; {f['exit_partial']} ended 'partly failed'")
        print(f"kills {f['kills']}: {f['sigkills']} SIGKILL at a random instant, "
              f"{f['crash_points']} SUQIU_CRASH_AT")
        print(f"faults injected {f['faults']}: " +
              ", ".join(f"{k} {v}" for k, v in sorted(self.fault_kinds.items())))
        print(f"records {getattr(self, 'records', '?')} complaints, "
              f"{getattr(self, 'history', '?')} earlier states; "
              f"unlinked {getattr(self, 'unlinked', None)}")
        print(f"lost {lost}; store equal to the clean run's after every step: "
              f"{'yes' if not any('differs' in p for p in self.problems) else 'NO'}")
        print(f"integrity checks {f['integrity_checks']}: "
              f"{'all ok' if not any('integrity' in p for p in self.problems) else 'FAILED'}")
        if self.asan:
            print("memory: AddressSanitizer build, LeakSanitizer checked every poll that ended")
        elif self.valgrind:
            print(f"memory: valgrind --leak-check=full on {f['valgrind_runs']} polls: "
                  f"{'clean' if not any('valgrind' in p for p in self.problems) else 'ERRORS'}")
        else:
            print("memory: valgrind not run")
        print("memory: " + self.rss_flat())
        print("mail: " + self.mail)
        print(f"problems {len(self.problems)}")
        for p in self.problems:
            print("  " + p)
        return 0 if not self.problems and lost == 0 else 1

    def stop(self):
        for proc in (self.sim, self.smtp):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the suqiu binary")
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--work", help="working directory (default: a new temporary one, removed)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--steps", type=int, default=120, help="clock steps from --start to --end")
    ap.add_argument("--attempts", type=int, default=5, help="most faulty attempts per step")
    ap.add_argument("--start", default="2024-05-01T06:00:00+08:00")
    ap.add_argument("--end", default="2024-05-15T00:00:00+08:00")
    ap.add_argument("--crash-rate", type=float, default=0.3, help="share of faulty runs with SUQIU_CRASH_AT")
    ap.add_argument("--kill-rate", type=float, default=0.3, help="share of faulty runs killed with SIGKILL")
    ap.add_argument("--valgrind-every", type=int, default=8, help="every Nth settling poll under valgrind (0: none)")
    ap.add_argument("--run-timeout", type=float, default=120)
    ap.add_argument("--short", action="store_true", help="the make check version: about a minute")
    ap.add_argument("--include-lossy", action="store_true",
                    help="also inject bad_record, which loses the records it damages: the run "
                         "must then fail (a check that the comparison sees loss)")
    ap.add_argument("--keep-going", action="store_true", help="go on after a problem")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int(os.environ.get("SOAK_SEED", random.SystemRandom().randrange(1 << 31)))
    if args.short:
        args.steps, args.attempts, args.valgrind_every = 10, 4, 9
    args.bin = os.path.abspath(args.bin)
    tmp = None
    if not args.work:
        tmp = tempfile.TemporaryDirectory(prefix="suqiu-soak-")
        args.work = tmp.name
    os.makedirs(args.work, exist_ok=True)
    soak = Soak(args)
    print(f"soak: seed {args.seed}, work {args.work}", flush=True)
    try:
        soak.run()
        status = soak.report()
    finally:
        soak.stop()
        if tmp and not os.environ.get("SOAK_KEEP"):
            tmp.cleanup()
    sys.exit(status)


if __name__ == "__main__":
    main()
