variable "redis_password" {
  type      = string
  sensitive = true
}

redis "main" {
  address  = "127.0.0.1:6379"
  password = var.redis_password

  security {
    requirepass = var.redis_password
  }
}

redis "replica" {
  address = "127.0.0.1:6380"

  settings = {
    "masterauth" = var.redis_password
    "replicaof"  = "127.0.0.1 6379"
  }
}
