#!/bin/sh
# A deploy hook: puts the new webhook key into the secret store, then reloads the receiver.
#   protime-hooks subscribe contracts --url https://hooks.example.com/protime --deploy-hook /etc/protime-hooks/deploy-hook.sh
# The key arrives on stdin (never in argv or the environment). Here the "secret store" is a folder
# (SECRET_STORE_DIR) and the receiver reloads on SIGHUP (its pid in RECEIVER_PIDFILE); put your own
# store and reload in their place, for example:
#   vault kv put "secret/protime/$PROTIME_HOOKS_WEBHOOK_ID" key=-        (reads the value from stdin)
#   systemctl reload my-receiver.service
# A non-zero exit keeps the old webhook alive and makes `renew` exit 1; the next renew tries again.
set -eu
: "${SECRET_STORE_DIR:?set SECRET_STORE_DIR}"
umask 077
key=$(cat)
# Written beside the target and renamed over it, so a reader never sees half a key.
tmp="$SECRET_STORE_DIR/.$PROTIME_HOOKS_WEBHOOK_ID.key.tmp"
printf '%s\n' "$key" > "$tmp"
mv "$tmp" "$SECRET_STORE_DIR/$PROTIME_HOOKS_WEBHOOK_ID.key"
if [ -n "${RECEIVER_PIDFILE:-}" ] && [ -f "$RECEIVER_PIDFILE" ]; then
  kill -HUP "$(cat "$RECEIVER_PIDFILE")"
fi
if [ "$PROTIME_HOOKS_RESYNC_REQUIRED" = 1 ]; then
  echo "Webhook $PROTIME_HOOKS_WEBHOOK_ID was recreated: events were missed, start a full re-sync of $PROTIME_HOOKS_COLLECTION." >&2
fi
