locals {
  ports = range(1000000000)
}

redis "main" {
  address = "127.0.0.1:6379"
}
