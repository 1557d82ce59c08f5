// Command loadserver is the plain HTTP server scripts/bench/loadtest.sh
// points every load generator at: it answers "ok" to every request.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	addr := "127.0.0.1:18181"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ok := []byte("ok\n")
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(ok)
	})))
}
