// Command ratelimited is the small service the demo (scripts/demo.d/
// 40-ratelimit.sh) measures: an HTTP server on loopback whose /api is
// behind a token bucket (golang.org/x/time/rate) of RATE per second with
// BURST, announced with the IETF draft RateLimit-Policy and RateLimit
// fields, and /slow answers after a fixed delay.
//
//	go run ./scripts/demo.d/ratelimited ADDR RATE BURST
package main

import (
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: ratelimited ADDR RATE BURST")
	}
	r, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		log.Fatal(err)
	}
	b, err := strconv.Atoi(os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	lim := rate.NewLimiter(rate.Limit(r), b)
	window := int(math.Max(1, math.Ceil(float64(b)/r)))
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		ok := lim.AllowN(now, 1)
		tokens := math.Max(0, lim.TokensAt(now))
		w.Header().Set("RateLimit-Policy", fmt.Sprintf(`"api";q=%d;w=%d`, int(math.Round(r*float64(window))), window))
		w.Header().Set("RateLimit", fmt.Sprintf(`"api";r=%d;t=%d`, int(tokens), int(math.Ceil((float64(b)-tokens)/r))))
		if !ok {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintln(w, "ok")
	})
	log.Fatal(http.ListenAndServe(os.Args[1], mux))
}
