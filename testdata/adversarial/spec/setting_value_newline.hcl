# A line break inside a value must stay inside its quoted redis.conf
# argument, not start a directive of its own.
redis "main" {
  address  = "127.0.0.1:6379"
  settings = { logfile = "/var/log/redis.log\nrequirepass hacked" }
}
