package cloudmap

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSharedFile(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     sharedFile
	}{
		{"sections and keys", "[default]\nregion = us-east-1\n[profile dev]\nregion=eu-west-1\noutput = json\n",
			sharedFile{"default": {"region": "us-east-1"}, "profile dev": {"region": "eu-west-1", "output": "json"}}},
		{"comments", "# top\n; also\n[default] # trailing\nregion = us-east-1 # inline\nkey = a#b\nother = x ;y\n  # indented comment\n",
			sharedFile{"default": {"region": "us-east-1", "key": "a#b", "other": "x"}}},
		{"whitespace in header", "[  profile   dev  ]\nregion = r\n", sharedFile{"profile dev": {"region": "r"}}},
		{"keys are case-insensitive", "[default]\nAWS_Access_Key_ID = AKID\n", sharedFile{"default": {"aws_access_key_id": "AKID"}}},
		{"sub-properties ignored", "[default]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\nregion = us-west-2\n",
			sharedFile{"default": {"s3": "", "region": "us-west-2"}}},
		{"keys before a section ignored", "region = nowhere\n[default]\nregion = r\n", sharedFile{"default": {"region": "r"}}},
		{"sso-session section", "[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
			sharedFile{"profile sso": {"sso_session": "corp"}, "sso-session corp": {"sso_start_url": "https://corp.awsapps.com/start", "sso_region": "us-east-1"}}},
		{"quotes removed", "[default]\nregion = \"us-east-1\"\n", sharedFile{"default": {"region": "us-east-1"}}},
		{"credential_process keeps quotes", "[default]\ncredential_process = \"/opt/my tool\" \"--x\"\n", sharedFile{"default": {"credential_process": `"/opt/my tool" "--x"`}}},
		{"legacy colon", "[default]\nregion: us-east-2\n", sharedFile{"default": {"region": "us-east-2"}}},
		{"CRLF", "[default]\r\nregion = r\r\n", sharedFile{"default": {"region": "r"}}},
		{"later wins", "[default]\nregion = a\n[default]\nregion = b\n", sharedFile{"default": {"region": "b"}}},
		{"value with equals", "[default]\ncredential_process = tool --opt=1\n", sharedFile{"default": {"credential_process": "tool --opt=1"}}},
		{"malformed header drops keys", "[default\nregion = r\n", sharedFile{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSharedFile(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestLookupProfile(t *testing.T) {
	cfg := sharedFile{"default": {"region": "us-east-1"}, "profile dev": {"region": "eu-west-1", "aws_access_key_id": "FROMCONFIG"}, "dev": {"region": "ignored"}}
	creds := sharedFile{"dev": {"aws_access_key_id": "FROMCREDS", "aws_secret_access_key": "s"}, "profile prod": {"region": "x"}}
	for _, tc := range []struct {
		name         string
		found        bool
		region, akid string
	}{
		{"default", true, "us-east-1", ""},
		{"dev", true, "eu-west-1", "FROMCREDS"}, // config [profile dev]; the credentials file wins for keys
		{"prod", false, "", ""},                 // "[profile prod]" in the credentials file is not profile prod
		{"missing", false, "", ""},
	} {
		p := lookupProfile(tc.name, cfg, creds)
		if p.found != tc.found || p.config["region"] != tc.region || p.get("aws_access_key_id") != tc.akid {
			t.Errorf("%s: found %v region %q key %q", tc.name, p.found, p.config["region"], p.get("aws_access_key_id"))
		}
	}
}

func TestReadSharedFileMissing(t *testing.T) {
	sf, err := readSharedFile(filepath.Join(t.TempDir(), "nope"))
	if err != nil || len(sf) != 0 {
		t.Errorf("missing file: %v, %v", sf, err)
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		err     bool
		windows bool
	}{
		{"/usr/bin/tool --a b", []string{"/usr/bin/tool", "--a", "b"}, false, false},
		{`"/opt/my tool" --profile 'a b'`, []string{"/opt/my tool", "--profile", "a b"}, false, false},
		{`tool "say \"hi\"" a\ b`, []string{"tool", `say "hi"`, "a b"}, false, false},
		{`tool 'it''s'`, []string{"tool", "its"}, false, false},
		{"  spaced\tout  ", []string{"spaced", "out"}, false, false},
		{`tool "" x`, []string{"tool", "", "x"}, false, false},
		{`tool "unterminated`, nil, true, false},
		{`tool 'unterminated`, nil, true, false},
		{`C:\tools\creds.exe --x 'y'`, []string{`C:\tools\creds.exe`, "--x", "'y'"}, false, true},
		{`"C:\Program Files\creds.exe" a`, []string{`C:\Program Files\creds.exe`, "a"}, false, true},
	} {
		got, err := splitCommand(tc.in, tc.windows)
		if (err != nil) != tc.err || !tc.err && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
