package cloudmap

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// awsEnv is every variable the SDK's chain reads that a test sets;
// isolate clears them all.
var awsEnv = []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY",
	"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SERVICEDISCOVERY", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_CA_BUNDLE"}

// isolate gives the test an empty home (so ~/.aws is empty), no AWS
// variables, EC2 metadata off, and returns the home.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range awsEnv {
		t.Setenv(k, "")
		os.Unsetenv(k) // the SDK tells set-but-empty from unset for some
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// The SDK takes ~/.aws from $HOME once, when it starts; the
	// variables point it at this home's files.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
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

// fakeAWSAuth is a stand-in for the AWS services that hand out temporary
// credentials, built from their API references, since the real ones need
// an AWS account: the SSO portal's GetRoleCredentials (GET
// /federation/credentials with the SSO bearer token) and STS's AssumeRole
// (signed with the source profile's keys) and AssumeRoleWithWebIdentity
// (unsigned, with the token file's contents), in STS's query protocol.
type fakeAWSAuth struct {
	srv *httptest.Server
	mu  sync.Mutex
	// seen lists the calls as "SSO role@account", "AssumeRole ARN by
	// AKID", "AssumeRoleWithWebIdentity ARN token".
	seen []string
}

func startFakeAWSAuth(t *testing.T) *fakeAWSAuth {
	f := &fakeAWSAuth{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWSAuth) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func (f *fakeAWSAuth) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/federation/credentials" {
		if r.Header.Get("X-Amz-Sso_bearer_token") != "sso-access-token" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Session token not found or invalid"}`)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, "SSO "+r.URL.Query().Get("role_name")+"@"+r.URL.Query().Get("account_id"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"roleCredentials":{"accessKeyId":"AKIDSSO","secretAccessKey":"sso-secret","sessionToken":"sso-session","expiration":4070908800000}}`)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	action, arn := r.Form.Get("Action"), r.Form.Get("RoleArn")
	var who, id string
	switch action {
	case "AssumeRole":
		// Credential=AKID/date/region/sts/aws4_request
		_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		who, _, _ = strings.Cut(cred, "/")
		id = "AKIDROLE"
	case "AssumeRoleWithWebIdentity":
		who = r.Form.Get("WebIdentityToken")
		id = "AKIDWEBID"
	default:
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, action+" "+arn+" "+who)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%[1]sResult>
<Credentials><AccessKeyId>%[2]s</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>%[3]s/msctl</Arn><AssumedRoleId>AROA:msctl</AssumedRoleId></AssumedRoleUser>
</%[1]sResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></%[1]sResponse>`, action, id, arn)
}

// ssoCache writes the token `aws sso login` leaves in the SSO cache, under
// the name the SDK looks for: the SHA-1 of the session name (or, for a
// legacy profile, of the start URL).
func ssoCache(t *testing.T, home, key string) {
	sum := sha1.Sum([]byte(key))
	writeFile(t, filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"),
		`{"accessToken":"sso-access-token","expiresAt":"2099-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}`, 0o600)
}

func TestCredentialChain(t *testing.T) {
	type tc struct {
		name    string
		env     map[string]string
		config  string // ~/.aws/config
		creds   string // ~/.aws/credentials
		profile string // ?profile=
		setup   func(t *testing.T, home string)
		wantID  string   // the access key the chain gives
		wantErr []string // or what the error says
		calls   string   // the calls fakeAWSAuth saw
	}
	procScript := func(id string) func(t *testing.T, home string) {
		return func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, "bin dir", "creds.sh"), "#!/bin/sh\n[ \"$1\" = --flag ] || exit 3\necho '"+processJSON(id, "sp")+"'\n", 0o755)
		}
	}
	// No AWS CLI is needed for any profile kind: PATH holds none.
	noAWS := map[string]string{"PATH": "/nonexistent"}
	withNoAWS := func(env map[string]string) map[string]string {
		for k, v := range noAWS {
			env[k] = v
		}
		return env
	}
	const ssoSession = "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\n" +
		"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
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
		{name: "SSO session", profile: "sso", config: ssoSession, env: withNoAWS(map[string]string{}),
			setup: func(t *testing.T, home string) { ssoCache(t, home, "corp") }, wantID: "AKIDSSO", calls: "[SSO Reader@123456789012]"},
		{name: "SSO without a login", profile: "sso", config: ssoSession, env: withNoAWS(map[string]string{}),
			wantErr: []string{`AWS profile "sso" signs in with SSO`, "aws sso login --profile sso"}},
		{name: "legacy SSO", env: withNoAWS(map[string]string{"AWS_PROFILE": "old"}),
			config: "[profile old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = Old\n",
			setup:  func(t *testing.T, home string) { ssoCache(t, home, "https://corp.awsapps.com/start") }, wantID: "AKIDSSO", calls: "[SSO Old@1]"},
		{name: "assume role", profile: "role", env: withNoAWS(map[string]string{}),
			config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\nregion = us-east-1\n[default]\naws_access_key_id = AKIDSRC\naws_secret_access_key = s\n",
			wantID: "AKIDROLE", calls: "[AssumeRole arn:aws:iam::1:role/r AKIDSRC]"},
		{name: "assume role from the environment's keys", profile: "role",
			env:    withNoAWS(map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se"}),
			config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r2\ncredential_source = Environment\nregion = us-east-1\n",
			wantID: "AKIDROLE", calls: "[AssumeRole arn:aws:iam::1:role/r2 AKIDENV]"},
		{name: "profile web identity", profile: "wi", env: withNoAWS(map[string]string{}),
			config: "[profile wi]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = HOME/token\nregion = us-east-1\n",
			setup:  func(t *testing.T, home string) { writeFile(t, filepath.Join(home, "token"), "jwt-from-file", 0o600) },
			wantID: "AKIDWEBID", calls: "[AssumeRoleWithWebIdentity arn:aws:iam::1:role/w jwt-from-file]"},
		{name: "environment web identity", env: withNoAWS(map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::1:role/e", "AWS_WEB_IDENTITY_TOKEN_FILE": "HOME/token", "AWS_REGION": "us-east-1"}),
			setup:  func(t *testing.T, home string) { writeFile(t, filepath.Join(home, "token"), "jwt-irsa", 0o600) },
			wantID: "AKIDWEBID", calls: "[AssumeRoleWithWebIdentity arn:aws:iam::1:role/e jwt-irsa]"},
		{name: "explicit missing profile", profile: "nope", config: "[default]\n", wantErr: []string{`AWS profile "nope" is in neither`, "HOME/.aws/config", "HOME/.aws/credentials"}},
		{name: "AWS_PROFILE missing", env: map[string]string{"AWS_PROFILE": "nope"}, wantErr: []string{`AWS profile "nope" is in neither`}},
		{name: "nothing, metadata disabled", wantErr: []string{"no AWS credentials", "AWS_EC2_METADATA_DISABLED"}},
		{name: "files from the environment", env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "HOME/elsewhere/c", "AWS_CONFIG_FILE": "HOME/elsewhere/cfg"},
			setup: func(t *testing.T, home string) {
				writeFile(t, filepath.Join(home, "elsewhere", "c"), "[default]\naws_access_key_id = AKIDELSE\naws_secret_access_key = s\n", 0o600)
			}, wantID: "AKIDELSE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			auth := startFakeAWSAuth(t)
			t.Setenv("AWS_ENDPOINT_URL_SSO", auth.srv.URL)
			t.Setenv("AWS_ENDPOINT_URL_STS", auth.srv.URL)
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
				c.setup(t, home)
			}
			cfg, err := loadConfig(context.Background(), "us-east-1", c.profile, nil)
			if err == nil {
				got, rerr := cfg.Credentials.Retrieve(context.Background())
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
			if got := fmt.Sprint(auth.calls()); c.calls != "" && got != c.calls {
				t.Errorf("calls to the credential services: %s, want %s", got, c.calls)
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
	_, err := loadConfig(context.Background(), "us-east-1", "", nil)
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "not the credential process JSON") {
		t.Errorf("error = %v", err)
	}
	// A failing process: the error names it.
	writeFile(t, script, "#!/bin/sh\nexit 7\n", 0o755)
	if _, err := loadConfig(context.Background(), "us-east-1", "", nil); err == nil || !strings.Contains(err.Error(), "exit status 7") || !strings.Contains(err.Error(), "credential_process of profile default") {
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
		{name: "named profile", profile: "dev", config: "[default]\nregion = ap-south-1\n[profile dev]\nregion = sa-east-1\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n", want: "sa-east-1"},
		{name: "none", want: ""},
		{name: "not a region", param: "us-east-1.evil.com/", wantErr: "not a region name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDX")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
			if c.envRegion != "" {
				t.Setenv("AWS_REGION", c.envRegion)
			}
			if c.envDefault != "" {
				t.Setenv("AWS_DEFAULT_REGION", c.envDefault)
			}
			if c.config != "" {
				writeFile(t, filepath.Join(home, ".aws", "config"), c.config, 0o600)
			}
			cfg, err := loadConfig(context.Background(), c.param, c.profile, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || cfg.Region != c.want {
				t.Errorf("region %q, %v; want %q", cfg.Region, err, c.want)
			}
		})
	}
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
		{name: "wrong token", env: map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"}, wantErr: "bad token"},
		{name: "plain http elsewhere", env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.1.2.3/creds"}, wantErr: "loopback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			tokenFile := filepath.Join(home, "token")
			// The SDK sends the file as it is: no newline after the token.
			writeFile(t, tokenFile, "container-token", 0o600)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
			for k, v := range c.env {
				t.Setenv(k, strings.ReplaceAll(v, "TOKENFILE", tokenFile))
			}
			cfg, err := loadConfig(context.Background(), "us-east-1", "", nil)
			if err == nil {
				creds, rerr := cfg.Credentials.Retrieve(context.Background())
				err = rerr
				if err == nil && (creds.AccessKeyID != c.want || creds.Source != endpointcreds.ProviderName) {
					t.Errorf("got %q from %s, want %q", creds.AccessKeyID, creds.Source, c.want)
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
	cfg, err := loadConfig(context.Background(), "us-east-1", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEC2" || creds.Source != ec2rolecreds.ProviderName {
		t.Errorf("got %q from %s, %v", creds.AccessKeyID, creds.Source, err)
	}
}
