// Command demohook is the webhook receiver of `make demo`: it stands where
// a team's alert receiver would, listens on a free loopback port, writes
// its URL to -url-file, and logs each alert redisplan posts (its "json"
// notify format) as one line on stdout:
//
//	alert firing: redis.demo backup_age (critical): No backup of Redis demo ...
//
// It runs until it is killed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/internal/fsutil"
)

func main() {
	urlFile := flag.String("url-file", "", "write the URL alerts are posted to into this `file`")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	url := fmt.Sprintf("http://%s/alerts", ln.Addr())
	if err := fsutil.WriteFileMode(*urlFile, []byte(url+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("POST /alerts", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Alerts []notify.Alert `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, a := range body.Alerts {
			fmt.Printf("alert %s: redis.%s %s (%s): %s\n", a.Status, a.Target, a.Check, a.Severity, a.Summary)
		}
	})
	log.Fatal(http.Serve(ln, nil))
}
