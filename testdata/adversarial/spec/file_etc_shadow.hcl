# file() takes absolute paths by design: whatever the process may read,
# the spec may read. As root this loads /etc/shadow into the username;
# as anyone else it is a "permission denied" error naming the file.
redis "main" {
  address  = "127.0.0.1:6379"
  username = "${file("/etc/shadow")}"
}
