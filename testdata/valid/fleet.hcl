variable "caches" {
  type = map(object({
    port   = number
    memory = string
  }))
  default = {
    eu = { port = 6380, memory = "1gb" }
    us = { port = 6381, memory = "512mb" }
  }
}

redis "cache" {
  for_each    = var.caches
  address     = "127.0.0.1:${each.value.port}"
  config_file = "/etc/redis/cache-${each.key}.conf"
  ephemeral   = true

  memory {
    max    = each.value.memory
    policy = "allkeys-lfu"
  }

  persistence {
    rdb {}
  }
}
