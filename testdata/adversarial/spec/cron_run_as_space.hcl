# A space in run_as would move the rest into the command column.
redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file   = "/etc/cron.d/redisplan"
    run_as = "root touch /tmp/pwned;"
  }
}
