# shellcheck shell=bash
# A sourced library for the control-plane live tests (control.sh, prometheus.sh), on top of
# tests/live/netns.sh (source that first): runs `chokectl serve` and the CLI against a chokepoint
# started with lt_cp_start, reads their JSON and output, and provides small TCP/HTTP servers and
# a long-lived line client for the namespaces. Every process it starts is registered for
# lt_cleanup; every wait is bounded.
#
# Functions:
#   cl_init_plain SUITE       like lt_init for tests that need no namespaces: LT_DIR, cleanup trap,
#                             the chokepoint binary; SKIP (exit 0) when not root.
#   cl_tools                  write $LT_DIR/cl_tools.py (the servers and the line client below).
#   cl_servers NS LABEL       in namespace NS: HTTP on 80 and 8080 answering "LABEL", a line echo
#                             server on 9000 and 9001; waits until they listen.
#   cl_chat_start NS HOST PORT LOG
#                             a client in NS that sends a line every 0.2 s on one TCP connection
#                             and logs each reply to $LT_DIR/LOG; its pid in CL_CHAT_PID.
#   cl_replies LOG            how many replies LOG holds.
#   cl_serve_start [ARGS...]  start $CHOKECTL serve --policy $CL_POLICY --dataplane
#                             $LT_DIR/dataplane.sock --socket $CL_SOCK --state $LT_DIR/state ARGS,
#                             stdout appended to $LT_DIR/serve.out; wait (bounded) for "serving".
#   cl_serve_stop             SIGTERM, bounded wait.
#   cl_ctl ARGS...            $CHOKECTL --socket $CL_SOCK ARGS (bounded by timeout).
#   cl_json PATH              read JSON on stdin, print the value at PATH ("a.b"; 0 if missing).
#   cl_stat PATH              cl_json PATH of `chokectl stats --json`.
#   cl_mark FILE              print how many lines FILE has now (a mark for cl_wait_line).
#   cl_wait_line FILE MARK SECS PATTERN
#                             wait until a line after MARK in FILE matches the grep -E PATTERN.
#   cl_fetch NS URL           curl from NS; prints "EXIT HTTPCODE SECONDS BODY".
#   cl_free_port              print a TCP port free on 127.0.0.1 now.
#   cl_tail FILE [N] [FROM]   the last N (5) lines of FILE, or those after line FROM, on one line.
#   cl_diag                   one line for a failure message: the last lines serve printed and
#                             the last errors of cl_stat's chokectl calls.
#   cl_result CHECK WHY DETAIL
#                             lt_pass CHECK DETAIL when WHY is empty, else lt_fail CHECK WHY.

# The globals below are read by the scripts that source this file.
# shellcheck disable=SC2034
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
CL_SOCK=""
CL_POLICY=""
CL_SERVE_PID=""
CL_CHAT_PID=""
CL_MAXT=${CL_MAXT:-2} # seconds curl may wait where a drop must show as a timeout

cl_init_plain() {
	LT_SUITE=$1
	[ "$(id -u)" = 0 ] || lt_skip "not running as root"
	command -v curl >/dev/null || lt_die "missing: curl (Debian: curl)"
	[ -x "$LT_PY" ] || lt_die "missing: $LT_PY (Debian: python3)"
	[ -x "$CHOKEPOINT" ] || lt_die "no chokepoint binary at $CHOKEPOINT (build first)"
	LT_DIR=$(mktemp -d /tmp/cp-ctl.XXXXXX) || lt_die "mktemp failed"
	trap lt_cleanup EXIT
	exec {LT_OUT}>&1
	trap 'echo "$LT_SUITE: interrupted" >&"$LT_OUT"; exit 130' INT TERM
}

cl_tools() {
	cat >"$LT_DIR/cl_tools.py" <<'PYEOF'
# Test helpers: "serve LABEL" (HTTP on 80 and 8080 answering LABEL, line echo on 9000 and 9001)
# and "chat HOST PORT" (one TCP connection, a line every 0.2 s, each reply logged with its time).
import http.server, socket, socketserver, sys, threading, time

def serve(label):
    body = (label + "\n").encode()

    class Web(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Echo(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                self.wfile.write(line)

    class Tcp(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    servers = [http.server.ThreadingHTTPServer(("0.0.0.0", p), Web) for p in (80, 8080)]
    servers += [Tcp(("0.0.0.0", p), Echo) for p in (9000, 9001)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()

def chat(host, port):
    s = socket.create_connection((host, int(port)), timeout=3)
    s.settimeout(None)
    print("connected", flush=True)

    def reader():
        for line in s.makefile("r"):
            print("reply %s %.3f" % (line.strip(), time.time()), flush=True)
        print("closed", flush=True)

    threading.Thread(target=reader, daemon=True).start()
    n = 0
    while True:
        n += 1
        try:
            s.sendall(b"%d\n" % n)
        except OSError as e:
            print("send failed: %s" % e, flush=True)
            return
        time.sleep(0.2)

if sys.argv[1] == "serve":
    serve(sys.argv[2])
else:
    chat(sys.argv[2], sys.argv[3])
PYEOF
}

cl_servers() {
	local port
	lt_bg "$1" "servers-$2.log" "$LT_PY" "$LT_DIR/cl_tools.py" serve "$2"
	for port in 80 8080 9000 9001; do
		lt_wait_listen "$1" "$port" || return 1
	done
}

cl_chat_start() {
	lt_bg "$1" "$4" "$LT_PY" -u "$LT_DIR/cl_tools.py" chat "$2" "$3"
	CL_CHAT_PID=$LT_BG_PID
}

cl_replies() { grep -c '^reply ' "$LT_DIR/$1" 2>/dev/null || true; }

cl_serving() { grep -q "serving" "$LT_DIR/serve.out" 2>/dev/null && [ -S "$CL_SOCK" ]; }

# shellcheck disable=SC2120 # ARGS are optional
cl_serve_start() {
	local mark
	mark=$(cl_mark "$LT_DIR/serve.out")
	"$CHOKECTL" serve --policy "$CL_POLICY" --dataplane "$LT_DIR/dataplane.sock" \
		--socket "$CL_SOCK" --state "$LT_DIR/state" "$@" \
		>>"$LT_DIR/serve.out" 2>>"$LT_DIR/serve.err" &
	CL_SERVE_PID=$!
	LT_PIDS+=("$CL_SERVE_PID")
	cl_wait_line "$LT_DIR/serve.out" "$mark" 5 "serving" && [ -S "$CL_SOCK" ]
}

cl_serve_stop() {
	[ -n "$CL_SERVE_PID" ] || return 0
	lt_stop_pid "$CL_SERVE_PID" 30
	CL_SERVE_PID=""
}

cl_ctl() { timeout 15 "$CHOKECTL" --socket "$CL_SOCK" "$@"; }

cl_json() {
	"$LT_PY" -c '
import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[k]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
except Exception:
    print(0)
' "$1"
}

cl_stat() { cl_ctl stats --json 2>>"$LT_DIR/ctl.err" | cl_json "$1"; }

cl_mark() {
	if [ -f "$1" ]; then
		wc -l <"$1"
	else
		echo 0
	fi
}

cl_line_after() { tail -n +"$(($2 + 1))" "$1" 2>/dev/null | grep -Eq "$3"; }

cl_wait_line() { lt_wait_for "$3" cl_line_after "$1" "$2" "$4"; }

cl_fetch() {
	local out rc body
	rm -f "$LT_DIR/body"
	out=$(lt_exec "$1" curl -s -o "$LT_DIR/body" -w '%{http_code} %{time_total}' \
		--max-time "$CL_MAXT" "$2")
	rc=$?
	body=$(head -c 80 "$LT_DIR/body" 2>/dev/null | tr -d '\n')
	echo "$rc ${out:-000 ?} $body"
}

cl_free_port() {
	"$LT_PY" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
'
}

cl_result() {
	if [ -z "$2" ]; then
		lt_pass "$1" "$3"
	else
		lt_fail "$1" "$2"
	fi
}

cl_tail() {
	if [ -n "${3:-}" ]; then
		tail -n +$(($3 + 1)) "$1" 2>/dev/null | tr '\n' ' '
	else
		tail -n "${2:-5}" "$1" 2>/dev/null | tr '\n' ' '
	fi
}

cl_diag() {
	printf '[serve: %s] [chokectl: %s]' "$(cl_tail "$LT_DIR/serve.out" 3)" \
		"$(cl_tail "$LT_DIR/ctl.err" 2)"
}
