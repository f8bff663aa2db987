# gm-notify -c FILE --check, as amtool check-config: the example of
# gm-notify.conf(5) prints what the page says; a bad file gets every
# error at its file:line:column, nothing on stdout, and status 2; a
# secret's value is never printed.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

# block NAME: the literal display after the page's marker
# '.\" tests/sh/gm-notify-check.sh: NAME', its roff escapes undone.
block() {
	awk -v name="$1" '
	$0 == ".\\\" tests/sh/gm-notify-check.sh: " name { want = 1; next }
	want && /^\.Bd -literal/ { inblk = 1; want = 0; next }
	inblk && /^\.Ed/ { exit }
	inblk { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print }
	' "$TOP/man/gm-notify.conf.5"
}

block config >gm-notify.yml
block output >want
[ -s gm-notify.yml ] && [ -s want ] || fail "gm-notify.conf(5) has no marked example"
GM_SLACK_API_URL=https://hooks.slack.com/services/T0/B0/SECRET \
	gm-notify -c gm-notify.yml --check >out 2>err
expect_eq "the page's example: status" $? 0
expect_same_file "the page's example: output" out want
expect_eq "the page's example: nothing on stderr" "$(wc -c <err)" 0
expect_eq "a secret in the environment is not printed" "$(grep -c SECRET out)" 0

# Every error, in file order, each at its place.
cat >bad.yml <<'YAML'
global:
  smtp_auth_password: hunter2
  smtp_require_tls: yes
templates: [x.tmpl]
route:
  receiver: nobody
  group_wait: 30x
  routes:
    - matchers: ['severity=~"\d"', 'kind low_stock']
      mute_time_intervals: [night]
receivers:
  - name: ops
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/SECRET
  - name: ops
    webhook_configs:
      - url: http://gm:SECRET@127.0.0.1:9000/
YAML
cat >want <<'TXT'
gm-notify: bad.yml:2:3: smtp_auth_password: secrets are not written in the configuration: name a file with smtp_auth_password_file, or set GM_SMTP_AUTH_PASSWORD in the environment
gm-notify: bad.yml:3:21: smtp_require_tls: expected true or false, got "yes"
gm-notify: bad.yml:4:1: unknown key "templates" at the top level
gm-notify: bad.yml:6:13: receiver: "nobody" is not defined in receivers
gm-notify: bad.yml:7:15: group_wait: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, got "30x"
gm-notify: bad.yml:9:18: matchers: regex "\d": a backslash before a letter or digit (write classes such as [0-9] or [[:space:]]) is not POSIX extended regex syntax
gm-notify: bad.yml:9:36: matchers: "kind low_stock": expected NAME OP VALUE, OP one of = != =~ !~
gm-notify: bad.yml:10:7: unknown key "mute_time_intervals" in routes
gm-notify: bad.yml:14:9: api_url: secrets are not written in the configuration: name a file with api_url_file, or set GM_SLACK_API_URL in the environment
gm-notify: bad.yml:15:11: receivers: "ops" is defined twice
gm-notify: bad.yml:17:14: url: a URL with a password is a secret: name a file that holds it with url_file
TXT
gm-notify -c bad.yml --check >out 2>err
expect_eq "a bad file: status (a usage error)" $? 2
expect_same_file "a bad file: the errors" err want
expect_eq "a bad file: nothing on stdout" "$(wc -c <out)" 0
expect_eq "a bad file: no secret in the errors" "$(grep -c SECRET err)" 0

# Not YAML: libyaml's one error, where it stopped.
printf 'route: {receiver: a\nreceivers: [}\n' >broken.yml
gm-notify -c broken.yml --check >out 2>err
expect_eq "not YAML: status" $? 2
expect_eq "not YAML: the error" "$(cat err)" \
	"gm-notify: broken.yml:2:10: did not find expected ',' or '}', while parsing a flow mapping"

gm-notify -c missing.yml --check >out 2>err
expect_eq "no such file: status" $? 2
expect_eq "no such file: the error" "$(cat err)" "gm-notify: missing.yml: No such file or directory"

# The command line.
usage="usage: gm-notify [-h] -c FILE --check"
expect_eq "--help: the --check line first" "$(gm-notify --help | head -1)" "$usage"
gm-notify --check >out 2>err
expect_eq "no -c: status" $? 2
expect_eq "no -c: the error, then the usage" "$(head -2 err)" "gm-notify: -c FILE is needed
$usage"
gm-notify -c gm-notify.yml --check --replay >out 2>err
expect_eq "--check with a daemon's option: status" $? 2
expect_eq "--check with a daemon's option: the error" "$(head -1 err)" \
	"gm-notify: --check takes no other option but -c"
gm-notify -c gm-notify.yml --check extra >out 2>err
expect_eq "an argument: status" $? 2
expect_eq "an argument: the error" "$(head -1 err)" "gm-notify: unexpected argument extra"
expect_eq "--version" "$(gm-notify --version | cut -d' ' -f1-2)" "gm-notify (gm)"
finish
