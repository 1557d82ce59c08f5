package cloudmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// sharedFile is one parsed AWS shared config or credentials file: section
// name -> lowercased key -> value. Section names are kept as written in
// the file ("default", "profile dev", "sso-session corp"); profile() knows
// which names a profile has in which file.
type sharedFile map[string]map[string]string

// maxSharedFile bounds how much of a shared file is read: real ones are a
// few KiB, and a huge or endless file (a FIFO, /dev/zero) must not hang or
// exhaust msctl.
const maxSharedFile = 4 << 20

// readSharedFile reads an AWS shared config or credentials file. A file
// that does not exist is an empty file, as for the AWS SDKs and CLI.
func readSharedFile(path string) (sharedFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return sharedFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sf, err := parseSharedFile(io.LimitReader(f, maxSharedFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return sf, nil
}

// parseSharedFile reads the AWS flavour of INI the SDKs and CLI agree on:
//
//   - "[name]" starts a section; whitespace inside the brackets is
//     trimmed and runs of it are collapsed ("[ profile  dev ]" is
//     "profile dev"); anything after "#" or ";" on the line is a comment;
//   - "key = value" (or the legacy "key: value") at the start of a line
//     sets a key in the current section; keys are case-insensitive;
//     " #" or " ;" starts a comment after the value; a value wrapped in
//     matching quotes loses them, as in the SDKs;
//   - lines starting with "#" or ";" are comments;
//   - indented lines are sub-properties ("s3 =" followed by indented
//     "max_concurrent_requests = 20") or continuations of the previous
//     value; msctl uses neither, so they are skipped.
//
// Keys before the first section are ignored, like the SDKs do; a later
// repeat of a section or key wins over an earlier one.
func parseSharedFile(r io.Reader) (sharedFile, error) {
	sf := sharedFile{}
	var cur map[string]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // sub-property or continuation
		}
		if trimmed[0] == '[' {
			head, _, _ := strings.Cut(trimmed, "#")
			head, _, _ = strings.Cut(head, ";")
			head = strings.TrimSpace(head)
			if !strings.HasSuffix(head, "]") {
				cur = nil // malformed header: its keys belong to no section
				continue
			}
			name := strings.Join(strings.Fields(head[1:len(head)-1]), " ")
			if sf[name] == nil {
				sf[name] = map[string]string{}
			}
			cur = sf[name]
			continue
		}
		k, v, ok := splitSharedProperty(line)
		if !ok || cur == nil {
			continue
		}
		cur[strings.ToLower(k)] = v
	}
	return sf, sc.Err()
}

// splitSharedProperty splits "key = value # comment" (or "key: value").
func splitSharedProperty(line string) (key, value string, ok bool) {
	for _, c := range []string{" #", " ;", "\t#", "\t;"} {
		line, _, _ = strings.Cut(line, c)
	}
	eq, colon := strings.IndexByte(line, '='), strings.IndexByte(line, ':')
	sep := eq
	if eq < 0 || colon >= 0 && colon < eq {
		sep = colon
	}
	if sep <= 0 {
		return "", "", false
	}
	key, value = strings.TrimSpace(line[:sep]), strings.TrimSpace(line[sep+1:])
	if key == "" {
		return "", "", false
	}
	// credential_process keeps its quotes: they group its arguments.
	if !strings.EqualFold(key, "credential_process") && len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return key, value, true
}

// profile is one named profile's settings merged from both files.
type profile struct {
	name   string
	found  bool              // in either file
	config map[string]string // from the config file ([default] / [profile NAME])
	creds  map[string]string // from the credentials file ([NAME])
}

// lookupProfile finds the profile in the config file ("[default]" or
// "[profile NAME]"; "[profile default]" too) and the credentials file
// ("[NAME]").
func lookupProfile(name string, config, creds sharedFile) profile {
	p := profile{name: name, config: map[string]string{}, creds: map[string]string{}}
	names := []string{"profile " + name}
	if name == "default" {
		names = []string{"default", "profile default"}
	}
	for _, n := range names {
		if sec, ok := config[n]; ok {
			p.found = true
			for k, v := range sec {
				p.config[k] = v
			}
		}
	}
	if sec, ok := creds[name]; ok {
		p.found = true
		p.creds = sec
	}
	return p
}

// get returns a key, the credentials file winning over the config file as
// in the SDKs.
func (p profile) get(key string) string {
	if v := p.creds[key]; v != "" {
		return v
	}
	return p.config[key]
}
