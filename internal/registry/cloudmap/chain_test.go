package cloudmap

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awsEnv is every variable the chain reads; isolate clears them all.
var awsEnv = []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY",
	"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SERVICEDISCOVERY", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"}

// isolate gives the test an empty home (so ~/.aws is empty), no AWS
// variables, EC2 metadata off, and returns the home.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range awsEnv {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return home
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// processJSON is what a credential process prints.
func processJSON(id, secret string) string {
	return `{"Version": 1, "AccessKeyId": "` + id + `", "SecretAccessKey": "` + secret + `", "SessionToken": "tok", "Expiration": "2099-01-01T00:00:00Z"}`
}

func TestCredentialChain(t *testing.T) {
	type tc struct {
		name    string
		env     map[string]string
		config  string // ~/.aws/config
		creds   string // ~/.aws/credentials
		profile string // ?profile=
		setup   func(t *testing.T, home string) map[string]string
		wantID  string // the access key the provider gives
		wantErr []string
	}
	procScript := func(id string) func(t *testing.T, home string) map[string]string {
		return func(t *testing.T, home string) map[string]string {
			writeFile(t, filepath.Join(home, "bin dir", "creds.sh"), "#!/bin/sh\n[ \"$1\" = --flag ] || exit 3\necho '"+processJSON(id, "sp")+"'\n", 0o755)
			return nil
		}
	}
	// fakeAWS puts an `aws` on PATH that checks its arguments are
	// `configure export-credentials --profile P --format process`.
	fakeAWS := func(profile string) func(t *testing.T, home string) map[string]string {
		return func(t *testing.T, home string) map[string]string {
			bin := filepath.Join(home, "awsbin")
			want := "configure export-credentials --profile " + profile + " --format process"
			if profile == "" {
				want = "configure export-credentials --format process"
			}
			writeFile(t, filepath.Join(bin, "aws"), "#!/bin/sh\n[ \"$*\" = \""+want+"\" ] || { echo \"unexpected: $*\" >&2; exit 2; }\necho '"+processJSON("AKIDCLI", "scli")+"'\n", 0o755)
			return map[string]string{"PATH": bin}
		}
	}
	noAWS := func(t *testing.T, home string) map[string]string {
		return map[string]string{"PATH": t.TempDir()}
	}
	for _, c := range []tc{
		{name: "environment keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se"}, wantID: "AKIDENV"},
		{name: "environment keys beat AWS_PROFILE", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se", "AWS_PROFILE": "dev"},
			creds: "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = sd\n", wantID: "AKIDENV"},
		{name: "?profile= beats environment keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se"},
			creds: "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = sd\n", profile: "dev", wantID: "AKIDDEV"},
		{name: "half the environment keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV"}, wantErr: []string{"AWS_SECRET_ACCESS_KEY is not"}},
		{name: "default profile, credentials file", creds: "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = sd\n", wantID: "AKIDDEF"},
		{name: "AWS_PROFILE, config file keys", env: map[string]string{"AWS_PROFILE": "cfg"},
			config: "[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = sc\n", wantID: "AKIDCFG"},
		{name: "profile key without secret", profile: "dev", creds: "[dev]\naws_access_key_id = AKIDDEV\n", wantErr: []string{`profile "dev" has aws_access_key_id but no aws_secret_access_key`}},
		{name: "credential_process", profile: "proc", config: "[profile proc]\ncredential_process = \"HOME/bin dir/creds.sh\" --flag\n",
			setup: procScript("AKIDPROC"), wantID: "AKIDPROC"},
		{name: "SSO without aws", profile: "sso", config: "[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x\n",
			setup: noAWS, wantErr: []string{`AWS profile "sso"`, "SSO", "aws is not on PATH", "install AWS CLI v2", "credential_process", "AWS_ACCESS_KEY_ID"}},
		{name: "SSO through aws", profile: "sso", config: "[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x\n",
			setup: fakeAWS("sso"), wantID: "AKIDCLI"},
		{name: "legacy SSO through aws", env: map[string]string{"AWS_PROFILE": "old"}, config: "[profile old]\nsso_start_url = https://x\nsso_account_id = 1\n",
			setup: fakeAWS("old"), wantID: "AKIDCLI"},
		{name: "assume role through aws", profile: "role", config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n[default]\naws_access_key_id = AKIDSRC\naws_secret_access_key = s\n",
			setup: fakeAWS("role"), wantID: "AKIDCLI"},
		{name: "assume role without aws", profile: "role", config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2InstanceMetadata\n",
			setup: noAWS, wantErr: []string{`AWS profile "role" uses assume-role (role_arn)`, "not on PATH"}},
		{name: "profile web identity without aws", profile: "wi", config: "[profile wi]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /t\n",
			setup: noAWS, wantErr: []string{`AWS profile "wi"`, "not on PATH"}},
		{name: "environment web identity through aws", env: map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"},
			setup: fakeAWS(""), wantID: "AKIDCLI"},
		{name: "environment web identity without aws", env: map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"},
			setup: noAWS, wantErr: []string{"the environment uses web identity", "not on PATH"}},
		{name: "explicit missing profile", profile: "nope", config: "[default]\n", wantErr: []string{`AWS profile "nope" is in neither`, "HOME/.aws/config", "HOME/.aws/credentials"}},
		{name: "AWS_PROFILE missing", env: map[string]string{"AWS_PROFILE": "nope"}, wantErr: []string{`AWS profile "nope" is in neither`}},
		{name: "nothing, metadata disabled", wantErr: []string{"no AWS credentials", "AWS_EC2_METADATA_DISABLED"}},
		{name: "files from the environment", env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "HOME/elsewhere/c", "AWS_CONFIG_FILE": "HOME/elsewhere/cfg"},
			setup: func(t *testing.T, home string) map[string]string {
				writeFile(t, filepath.Join(home, "elsewhere", "c"), "[default]\naws_access_key_id = AKIDELSE\naws_secret_access_key = s\n", 0o600)
				return nil
			}, wantID: "AKIDELSE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			for k, v := range c.env {
				t.Setenv(k, strings.ReplaceAll(v, "HOME", home))
			}
			if c.config != "" {
				writeFile(t, filepath.Join(home, ".aws", "config"), strings.ReplaceAll(c.config, "HOME", home), 0o600)
			}
			if c.creds != "" {
				writeFile(t, filepath.Join(home, ".aws", "credentials"), c.creds, 0o600)
			}
			if c.setup != nil {
				for k, v := range c.setup(t, home) {
					t.Setenv(k, v)
				}
			}
			prov, _, err := newChain(c.profile).credentials()
			if err == nil {
				got, rerr := prov.Retrieve(context.Background())
				if rerr != nil {
					err = rerr
				} else if got.AccessKeyID != c.wantID {
					t.Errorf("access key %q, want %q", got.AccessKeyID, c.wantID)
				}
			}
			if len(c.wantErr) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(c.wantErr) > 0 && err == nil {
				t.Fatalf("no error, want %q", c.wantErr)
			}
			for _, w := range c.wantErr {
				w = strings.ReplaceAll(w, "HOME", home)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

// A credential process's output can hold a secret; when it is not valid
// JSON the error must not quote it.
func TestCredentialProcessErrorHidesOutput(t *testing.T) {
	home := isolate(t)
	script := filepath.Join(home, "leak.sh")
	writeFile(t, script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"TOPSECRET\",}'\n", 0o755)
	writeFile(t, filepath.Join(home, ".aws", "config"), "[default]\ncredential_process = "+script+"\n", 0o600)
	prov, _, err := newChain("").credentials()
	if err != nil {
		t.Fatal(err)
	}
	_, err = prov.Retrieve(context.Background())
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "not the credential process JSON") {
		t.Errorf("error = %v", err)
	}
	// A failing process: the error names it.
	writeFile(t, script, "#!/bin/sh\nexit 7\n", 0o755)
	prov, _, _ = newChain("").credentials()
	if _, err := prov.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "exit status 7") || !strings.Contains(err.Error(), "credential_process of profile default") {
		t.Errorf("failing process: %v", err)
	}
}

func TestRegionOrder(t *testing.T) {
	for _, c := range []struct {
		name, param, envRegion, envDefault, config, profile, want, wantErr string
	}{
		{name: "param first", param: "eu-west-1", envRegion: "us-east-1", envDefault: "us-east-2", config: "[default]\nregion = ap-south-1\n", want: "eu-west-1"},
		{name: "AWS_REGION", envRegion: "us-east-1", envDefault: "us-east-2", config: "[default]\nregion = ap-south-1\n", want: "us-east-1"},
		{name: "AWS_DEFAULT_REGION", envDefault: "us-east-2", config: "[default]\nregion = ap-south-1\n", want: "us-east-2"},
		{name: "default profile", config: "[default]\nregion = ap-south-1\n", want: "ap-south-1"},
		{name: "named profile", profile: "dev", config: "[default]\nregion = ap-south-1\n[profile dev]\nregion = sa-east-1\n", want: "sa-east-1"},
		{name: "none", want: ""},
		{name: "not a region", param: "us-east-1.evil.com/", wantErr: "not a region name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			t.Setenv("AWS_REGION", c.envRegion)
			t.Setenv("AWS_DEFAULT_REGION", c.envDefault)
			if c.config != "" {
				writeFile(t, filepath.Join(home, ".aws", "config"), c.config, 0o600)
			}
			got, err := newChain(c.profile).region(c.param)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("region %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestEndpointOrder(t *testing.T) {
	home := isolate(t)
	writeFile(t, filepath.Join(home, ".aws", "config"), "[default]\nendpoint_url = https://from-profile\n", 0o600)
	check := func(want string) {
		t.Helper()
		if got, err := newChain("").endpoint(); err != nil || got != want {
			t.Errorf("endpoint %q, %v; want %q", got, err, want)
		}
	}
	check("https://from-profile")
	t.Setenv("AWS_ENDPOINT_URL", "https://global")
	check("https://global")
	t.Setenv("AWS_ENDPOINT_URL_SERVICEDISCOVERY", "https://specific")
	check("https://specific")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	check("")
}

func TestContainerCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/creds" || r.Header.Get("Authorization") != "container-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"code": "Unauthorized", "message": "bad token"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "AKIDCONT", "SecretAccessKey": "sc", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"})
	}))
	defer srv.Close()
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "token", env: map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token"}, want: "AKIDCONT"},
		{name: "token file", env: map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "TOKENFILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored"}, want: "AKIDCONT"},
		{name: "wrong token", env: map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"}, wantErr: "container credentials from " + srv.URL + "/creds"},
		{name: "plain http elsewhere", env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"}, wantErr: "plain HTTP is allowed only to loopback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			tokenFile := filepath.Join(home, "token")
			writeFile(t, tokenFile, "container-token\n", 0o600)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
			for k, v := range c.env {
				t.Setenv(k, strings.ReplaceAll(v, "TOKENFILE", tokenFile))
			}
			prov, src, err := newChain("").credentials()
			if err == nil {
				var got string
				creds, rerr := prov.Retrieve(context.Background())
				got, err = creds.AccessKeyID, rerr
				if err == nil && (got != c.want || src != "container credentials") {
					t.Errorf("got %q from %s, want %q", got, src, c.want)
				}
			}
			if (err != nil) != (c.wantErr != "") || err != nil && !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("err %v, want %q", err, c.wantErr)
			}
		})
	}
}

// TestInstanceMetadata runs the IMDSv2 exchange (token PUT, role list,
// role credentials) against a stand-in for the metadata service.
func TestInstanceMetadata(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			_, _ = w.Write([]byte("imds-token"))
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			_, _ = w.Write([]byte("web-role\n"))
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/web-role":
			_ = json.NewEncoder(w).Encode(map[string]string{"Code": "Success", "AccessKeyId": "AKIDEC2", "SecretAccessKey": "s", "Token": "t",
				"Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC"})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	isolate(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	prov, src, err := newChain("").credentials()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := prov.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEC2" || src != "EC2 instance metadata" {
		t.Errorf("got %q from %s, %v", creds.AccessKeyID, src, err)
	}
}
