redis "main" {
  address = "127.0.0.1:${jsondecode("1e100000000")}"
}
