redis "main" {
  address  = "127.0.0.1:6379"
  replicas = "auto" # ERROR: Invalid replicas
}
