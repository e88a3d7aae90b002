# for_each keys become target names and crontab markers: a line break or
# shell syntax in a key must not split or escape a crontab line.
redis "main" {
  for_each = toset(["a\nb", "$(touch /tmp/pwned)", "'; rm -rf / #", "%"])
  address  = "127.0.0.1:6379"
  backup {
    schedule    = "@daily"
    destination = "/var/backups/redis"
  }
  cron {
    file = "/etc/cron.d/redisplan"
  }
}
