redis "main" { # ERROR: Missing required argument
  config_file = "/etc/redis/redis.conf"
}
