#!/bin/sh
# The command line as a user meets it: the real binary, run from the
# repository root, on the bundled bank and on broken inputs.
# usage: cli.sh PATH/TO/studybot
set -u
BOT=$1
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fails=0
passes=0

run() { # run EXPECTED_EXIT ARGS...
	want=$1
	shift
	"$BOT" "$@" >"$out" 2>"$err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: studybot $* exited $got, want $want"
		sed 's/^/  stderr: /' "$err" | head -20
		fails=$((fails + 1))
		return 1
	fi
	return 0
}
has() { # has FILE TEXT: the output contains TEXT (fixed string)
	if grep -qF -- "$2" "$1"; then
		passes=$((passes + 1))
	else
		echo "FAIL: expected to see: $2"
		sed 's/^/  got: /' "$1" | head -20
		fails=$((fails + 1))
	fi
}
hasnt() {
	if grep -qF -- "$2" "$1"; then
		echo "FAIL: did not expect: $2"
		fails=$((fails + 1))
	else
		passes=$((passes + 1))
	fi
}

# check on the bundled config and bank: a summary, exit 0
run 0 check && {
	has "$out" "config   config/studybot.ini"
	has "$out" "python-study"
	has "$out" "topic                   easy  medium  hard  choice  total"
	has "$out" "ok: "
	has "$out" "multiple-choice"
}

# the token is reported as set or not, never printed
DISCORD_TOKEN=MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.s3cretTokenValueThatMustNotLeak run 0 check && {
	has "$out" "token from \$DISCORD_TOKEN: set"
	hasnt "$out" "s3cretTokenValueThatMustNotLeak"
	hasnt "$err" "s3cretTokenValueThatMustNotLeak"
}

# a broken bank: every problem, each with file and line, exit 1
run 1 check -c tests/data/bad-bank.ini && {
	has "$err" "tests/data/bad-bank/broken.md:3: missing 'id: ...'"
	has "$err" "tests/data/bad-bank/broken.md:11: difficulty '7' must be 1 (easy), 2 (medium) or 3 (hard)"
	has "$err" "tests/data/bad-bank/broken.md:16: unknown section '### Hint'"
	has "$err" "tests/data/bad-bank/dup.md:17: mark exactly one choice right with [x] (found 2)"
	has "$err" "tests/data/bad-bank/dup.md:3: id 'shared-id' is already used at tests/data/bad-bank/broken.md:19"
	has "$err" "studybot check: 5 problems found"
}

# a broken config: file, line, key and what was expected
run 1 check -c tests/data/bad.ini && {
	has "$err" "tests/data/bad.ini:2: [bot] platform: 'discrod' is not one of: discord | slack"
	has "$err" "tests/data/bad.ini:6: [scoring] answre: unknown key (did you mean 'answer'?)"
	has "$err" "tests/data/bad.ini:10: [channel \"study\"] timezone: 'Mars/Olympus' is not a time zone"
	has "$err" "tests/data/bad.ini:11: [channel \"study\"] answer_window: '10' is not a duration"
}

# config and bank together: a channel asks for a topic the bank lacks
run 1 check -c tests/data/unknown-topic.ini && has "$err" \
	"tests/data/unknown-topic.ini:6: [channel \"study\"] topics: 'cobol' is not a topic of the bank (no questions/cobol.md)"

run 1 check -c tests/data/no-such.ini && has "$err" "tests/data/no-such.ini: cannot read: No such file or directory"

# browsing the bank
run 0 questions list --topic git && {
	has "$out" "git-cherry-pick"
	hasnt "$out" "py-"
}
run 0 questions show review-employee-manager-salary && {
	has "$out" "from django.db.modesl import Q, F"
	has "$out" "Answer"
	has "$out" "Key points"
}
run 1 questions show no-such-id && has "$err" "no question with id 'no-such-id'"
run 1 questions list --topic cobol && has "$err" "no topic 'cobol'"
run 0 questions export --json --topic opencv && {
	has "$out" "\"format\":	1"
	has "$out" "\"topic\":	\"opencv\""
}
run 0 questions export --topic behavioural && has "$out" "# Behavioural"

# usage errors exit 2; --help and --version exit 0
run 2 && has "$err" "usage:"
run 2 frobnicate && has "$err" "unknown command 'frobnicate'"
run 2 questions && has "$err" "which: list, show or export?"
run 2 questions show && has "$err" "show needs a question id"
run 2 check --bogus && has "$err" "unexpected '--bogus'"
run 0 --help && has "$out" "studybot check"
run 0 --version && has "$out" "studybot "

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
