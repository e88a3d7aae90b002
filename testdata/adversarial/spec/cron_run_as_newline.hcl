# run_as goes bare into cron.d lines: a line break would add a job of its
# own, outside redisplan's markers.
redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file   = "/etc/cron.d/redisplan"
    run_as = "root\n* * * * * root touch /tmp/pwned\n# END redisplan main"
  }
}
