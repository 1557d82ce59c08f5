// Command msctl is one tool for the people who build and run microservices.
package main

import (
	"os"

	"github.com/msctl/msctl/internal/app"
)

func main() {
	os.Exit(int(app.Main()))
}
