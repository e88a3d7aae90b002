redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file   = "/etc/cron.d/redisplan"
    binary = "/usr/local/bin/redisplan'\n* * * * * root touch /tmp/pwned #"
  }
}
