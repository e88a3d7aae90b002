# A number whose decimal form has a hundred million zeros after the point.
redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max = 1e-100000000
  }
}
