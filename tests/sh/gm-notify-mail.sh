# gm-notify-mail.sh: gm-notify --replay on the fixed alerts of
# tests/golden/notify-mail.ndjson delivers to the SMTP server of
# tests/notify-servers.sh (STARTTLS, AUTH) the exact mails of
# tests/golden/notify-mail.out: envelope, headers (From, To, Subject,
# Date and Message-ID of the alerts' time, Auto-Submitted) and a body
# listing every alert of the notification, two groups, one of them
# mailed again for a new alert and for its resolution. The golden file
# shows the mails with their CRLF line ends as LF.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
smtp_start
export GM_NOTIFY_CA_FILE=$NOTIFY_CA
cd "$T" || exit 1

cat >conf.yml <<YAML
global:
  smtp_from: 'gm-notify <alerts@shop.test>'
  smtp_smarthost: '127.0.0.1:$SMTP_PORT'
  smtp_auth_username: '$SMTP_USER'
  smtp_auth_password_file: '$SMTP_PASSWORD_FILE'
route:
  receiver: mail
  group_by: [product_id]
receivers:
- name: mail
  email_configs:
  - to: 'ops@shop.test, On Call <oncall@shop.test>'
    send_resolved: true
YAML

gm-notify -c conf.yml --replay "$TESTS/golden/notify-mail.ndjson" 2>err
expect_eq "status" $? 0
expect_eq "the summary" "$(sed -n 1p err)" \
	"gm-notify: 4 firing, 1 resolved, 0 duplicate, 0 repeated, 0 unmatched; 4 notifications delivered, 0 dead-lettered"
jq -r '"=== mail \(.n): \(.mail_from) to \(.rcpt_tos | join(", ")) over \(.tls) as \(.auth_user)\n\(.data)"' \
	"$SMTP_MAIL" | tr -d '\r' >got
# A group's later mails answer its first (In-Reply-To, References).
expect_same_file "the mails" got "$TESTS/golden/notify-mail.out"
expect_eq "every line ends in CRLF" \
	"$(jq -r '.data | (endswith("\r\n") and (split("\r\n") | map(select(contains("\n"))) | length == 0))' "$SMTP_MAIL" | sort -u)" true
expect_eq "no refusal" "$(wc -c <"$SMTP_REFUSED")" 0
if grep -qF -- "$SMTP_PASSWORD" err; then fail "the password was printed"; fi
finish
