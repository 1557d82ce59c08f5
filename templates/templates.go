// Package templates embeds the template sets that `msctl new` renders (see
// package internal/scaffold for the layout of a set). Template files end in
// .tmpl so that the Go tool never treats them as part of msctl.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed all:service all:gateway
var embedded embed.FS

// FS returns the embedded template sets, one folder per set.
func FS() fs.FS { return embedded }
