#!/bin/sh
# The README's first command: a whole study round on the console platform,
# through the real binary, and the leaderboard read back from its database.
# usage: sandbox.sh PATH/TO/studybot   (run from the repository root)
set -u
BOT=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/out
err=$dir/err
fails=0
passes=0

run() { # run EXPECTED_EXIT ARGS...
	want=$1
	shift
	NO_COLOR=1 "$BOT" "$@" >"$out" 2>"$err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: studybot $* exited $got, want $want"
		sed 's/^/  stderr: /' "$err" | head -20
		fails=$((fails + 1))
		return 1
	fi
	return 0
}
has() { # has TEXT: the output contains TEXT (fixed string)
	if grep -qF -- "$1" "$out"; then
		passes=$((passes + 1))
	else
		echo "FAIL: expected to see: $1"
		fails=$((fails + 1))
	fi
}
count() { # count N TEXT: TEXT appears on exactly N lines
	got=$(grep -cF -- "$2" "$out")
	if [ "$got" -eq "$1" ]; then
		passes=$((passes + 1))
	else
		echo "FAIL: expected $1 lines with '$2', got $got"
		fails=$((fails + 1))
	fi
}

# The scripted round, with the clock as fast as it goes.
if run 0 sandbox --speed 1000000000 --database "$dir/study.db"; then
	has "Question of the day · Django · hard"
	count 1 "Question of the day"
	has "[ Answer ] [ Hint (-3 points) ]"
	has "Your answer is recorded"
	has "Your answer is updated"
	has "Hint 1 of 2:"
	has "Hint 2 of 2:"
	count 2 "That hint cost 3 points."
	count 1 "studybot → dave (private message)"
	has "Today's question in #study-sandbox closes in 30m"
	has "4 answers below, anonymised."
	# Four answers in the thread, and two to review for each of the four
	# members who answered on time.
	count 12 "[ 1 ] [ 2 ] [ 3 ] [ 4 ] [ 5 ]"
	count 8 "Please review: Answer"
	has "kept and marked late: it earns no answer points"
	has "You can't rate your own answer."
	has "Your rating is changed for Answer"
	has "Rating for this round closed at"
	has "🏆 Answer"
	has ": alice · 5.0/5 from 4 ratings · 6/6 key points"
	has "Late answer: dave · no ratings"
	has "Leaderboard · today"
	has "🥇 alice: 29"
	has "hint: -6 (2)"
	has "The round is over."
	# Reveal and review DMs are anonymous: names only come with the results.
	sed -n '/Time.s up/,/^    Results/p' "$out" | grep -E '^    (Answer|Please review).*(alice|bob|carol|erin)' &&
		{ echo "FAIL: a name appears before the results"; fails=$((fails + 1)); }
fi

# `studybot leaderboard` reads what the sandbox left in its database.
printf '[bot]\ndatabase = %s\n' "$dir/study.db" >"$dir/bot.ini"
if run 0 leaderboard -c "$dir/bot.ini"; then
	has "#study-sandbox (study-sandbox) · all"
	has "   1. alice"
	has "   5. dave"
fi
run 0 leaderboard -c "$dir/bot.ini" --period day --topic python && has "nobody has points here yet"
run 2 leaderboard -c "$dir/bot.ini" --period year && true
run 1 leaderboard -c "$dir/bot.ini" --channel nope && true
printf '[bot]\ndatabase = %s\n' "$dir/missing.db" >"$dir/none.ini"
run 1 leaderboard -c "$dir/none.ini" && true
[ -e "$dir/missing.db" ] && { echo "FAIL: reading created a database"; fails=$((fails + 1)); }

# Bad options get a usage error; a question the sandbox cannot run, exit 1.
run 2 sandbox --speed 0 && true
run 2 sandbox --bogus && true
run 1 sandbox --question no-such-question && true
run 1 sandbox --question py-mutable-default-args --speed 1000000000 && true
run 0 sandbox --question git-cherry-pick --speed 1000000000 && has "Results"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
