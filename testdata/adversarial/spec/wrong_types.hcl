redis "main" {
  address = ["127.0.0.1", 6379]
  db      = "zero"
  timeout = { s = 5 }
  memory {
    max = true
  }
}
