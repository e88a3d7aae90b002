# file() resolves relative paths against the spec's directory, and ".."
# may leave it: that is by design, like Terraform's file().
redis "main" {
  address  = "127.0.0.1:6379"
  username = file("../../outside.txt")
}
