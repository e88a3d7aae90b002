redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    schedule = "*/15 * * * *"
  }
  cron {
    user = "redis"
    log  = "/var/log/redisplan.log\n* * * * * touch /tmp/pwned"
  }
}
