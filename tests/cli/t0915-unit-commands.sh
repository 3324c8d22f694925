#!/usr/bin/env bash
# Each systemd unit's ExecStart= is a command line this binary accepts:
# run it with the test's configuration and database (the feeds are the
# simulator on 127.0.0.1) and it must not be refused as a usage error.
# t0900 checks the units' syntax and sandbox; this checks what they run.
# Mail goes to the test SMTP server, so the digest unit's `digest --mail`
# really delivers.
. "$(dirname "$0")/lib-alerts.sh"

start_sim
start_smtpd
write_config hotline liaison citymgmt open311
write_alerts "smtp://127.0.0.1:$SMTP_PORT"

for unit in "$SUQIU_TOP"/config/systemd/*.service; do
	name=$(basename "$unit" .service)
	line=$(sed -n 's/^ExecStart=//p' "$unit")
	[ -n "$line" ] || { fail "$name: no ExecStart="; continue; }
	# The unit's paths, swapped for the test's: the binary, --config, --db
	# and any file under /var/lib/suqiu or /run/suqiu (the metrics file).
	read -r -a argv <<<"$line"
	args=()
	for ((i = 1; i < ${#argv[@]}; i++)); do
		a=${argv[i]}
		case $a in
		/etc/suqiu/suqiu.yaml) a=$T/suqiu.yaml ;;
		/var/lib/suqiu/suqiu.db) a=$T/suqiu.db ;;
		/var/lib/suqiu/*) a=$T/${a#/var/lib/suqiu/} ;;
		/run/suqiu/*) a=$T/${a#/run/suqiu/} ;;
		esac
		args+=("$a")
	done
	[ "${argv[0]}" = /usr/local/bin/suqiu ] || fail "$name: ExecStart does not run /usr/local/bin/suqiu"
	# Every option must be one the subcommand's --help lists.
	cmd=
	for a in "${args[@]}"; do
		case $a in -*|/*) ;; *) cmd=$a; break ;; esac
	done
	missing=
	if [ -n "$cmd" ]; then
		help=$("$SUQIU_BIN" "$cmd" --help 2>&1)
		for a in "${args[@]}"; do
			case $a in
			--config|--db|--metrics|--verbose|--quiet) ;;
			--*) grep -q -- "$a" <<<"$help" || missing="$missing $a" ;;
			esac
		done
	fi
	[ -n "$missing" ] && fail "$name runs 'suqiu $cmd$missing', which $cmd --help does not list"
	say "$name: suqiu ${args[*]}"
	run_suqiu "${args[@]}"
	[ "$status" = 2 ] && fail "$name: its ExecStart is refused: $(head -n 2 "$T/err")"
	case $name in
	suqiu-poll)
		expect_status 0 "$name"
		[ -s "$T/suqiu.prom" ] || fail "$name: no metrics file" ;;
	suqiu-digest)
		expect_status 0 "$name"
		check_mails
		n=$(awk -F'\t' '$2 == "digest"' "$T/mails" | wc -l)
		expect_eq "$n" 1 "$name: one digest mail delivered" ;;
	*)	expect_status 0 "$name" ;;
	esac
done
finish
