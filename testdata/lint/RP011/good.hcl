# Dangerous commands are kept from applications by their ACL user, which
# is set up outside this spec; redisplan connects as its own user.

variable "redis_password" {
  type      = string
  sensitive = true
}

redis "main" {
  address  = "127.0.0.1:6379"
  username = "redisplan"
  password = var.redis_password
}
