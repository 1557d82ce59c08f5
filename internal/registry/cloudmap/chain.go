package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// awsSettings is what the chain found: where to send, as whom.
type awsSettings struct {
	Region      string
	Endpoint    string // from AWS_ENDPOINT_URL* or the profile's endpoint_url; "" for AWS's own
	Credentials aws.CredentialsProvider
	Source      string // where the credentials come from, for messages
}

// chain resolves region, endpoint and credentials the way the AWS SDKs'
// default chain does, without the SDK's config package (whose SSO, STS
// and sign-in clients cost every msctl start their init). What needs
// those clients (SSO, assume-role, web identity) is delegated to the AWS
// CLI as a credential process.
type chain struct {
	profile      string // ?profile=, else AWS_PROFILE, else default
	explicit     bool   // ?profile= given: environment keys are not used
	named        bool   // the user named the profile (?profile= or AWS_PROFILE)
	configPath   string
	credsPath    string
	loaded       bool
	prof         profile
	errNoProfile error
}

func newChain(profileParam string) *chain {
	c := &chain{profile: profileParam, explicit: profileParam != ""}
	if c.profile == "" {
		c.profile = os.Getenv("AWS_PROFILE")
	}
	c.named = c.profile != ""
	if c.profile == "" {
		c.profile = "default"
	}
	home, _ := os.UserHomeDir()
	c.configPath = os.Getenv("AWS_CONFIG_FILE")
	if c.configPath == "" && home != "" {
		c.configPath = filepath.Join(home, ".aws", "config")
	}
	c.credsPath = os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if c.credsPath == "" && home != "" {
		c.credsPath = filepath.Join(home, ".aws", "credentials")
	}
	return c
}

// loadProfile reads the profile from both shared files, once. A profile
// the user named that neither file has is an error; a missing default
// profile is just empty.
func (c *chain) loadProfile() (profile, error) {
	if c.loaded {
		return c.prof, c.errNoProfile
	}
	c.loaded = true
	var cfg, creds sharedFile
	var err error
	if c.configPath != "" {
		if cfg, err = readSharedFile(c.configPath); err != nil {
			c.errNoProfile = err
			return c.prof, err
		}
	}
	if c.credsPath != "" {
		if creds, err = readSharedFile(c.credsPath); err != nil {
			c.errNoProfile = err
			return c.prof, err
		}
	}
	c.prof = lookupProfile(c.profile, cfg, creds)
	if !c.prof.found && c.named {
		c.errNoProfile = fmt.Errorf("AWS profile %q is in neither %s nor %s", c.profile, orNone(c.configPath), orNone(c.credsPath))
	}
	return c.prof, c.errNoProfile
}

func orNone(path string) string {
	if path == "" {
		return "(no shared file: no home directory)"
	}
	return path
}

// resolve runs the chain. regionParam is ?region=; an empty Region in the
// answer means none was found (the caller says how to set one).
func (c *chain) resolve(regionParam string) (*awsSettings, error) {
	s := &awsSettings{}
	var err error
	if s.Region, err = c.region(regionParam); err != nil {
		return nil, err
	}
	if s.Endpoint, err = c.endpoint(); err != nil {
		return nil, err
	}
	if s.Credentials, s.Source, err = c.credentials(); err != nil {
		return nil, err
	}
	return s, nil
}

// region: ?region=, AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
func (c *chain) region(param string) (string, error) {
	r := firstNonEmpty(param, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	if r == "" {
		p, err := c.loadProfile()
		if err != nil {
			return "", err
		}
		r = p.config["region"]
	}
	if !validRegion(r) {
		return "", fmt.Errorf("AWS region %q is not a region name (like us-east-1)", r)
	}
	return r, nil
}

// validRegion keeps the region, which becomes part of a host name, to
// the characters region names have.
func validRegion(r string) bool {
	for _, ch := range r {
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			return false
		}
	}
	return len(r) <= 64
}

// endpoint: AWS_ENDPOINT_URL_SERVICEDISCOVERY, AWS_ENDPOINT_URL, the
// profile's endpoint_url, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (c *chain) endpoint() (string, error) {
	if strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return "", nil
	}
	if e := firstNonEmpty(os.Getenv("AWS_ENDPOINT_URL_SERVICEDISCOVERY"), os.Getenv("AWS_ENDPOINT_URL")); e != "" {
		return e, nil
	}
	p, err := c.loadProfile()
	if err != nil {
		return "", err
	}
	return p.config["endpoint_url"], nil
}

// credentials walks the chain in the SDKs' order: environment keys and
// environment web identity (unless ?profile= names a profile), the
// profile (assume-role, static keys, web identity, SSO,
// credential_process), container credentials, EC2 instance metadata.
func (c *chain) credentials() (aws.CredentialsProvider, string, error) {
	if !c.explicit {
		id := firstNonEmpty(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_ACCESS_KEY"))
		secret := firstNonEmpty(os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SECRET_KEY"))
		switch {
		case id != "" && secret != "":
			return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")), "environment", nil
		case id != "":
			return nil, "", errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use a profile")
		}
		if os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" {
			return c.awsCLI(false, "web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the environment)")
		}
	}
	p, err := c.loadProfile()
	if err != nil {
		return nil, "", err
	}
	switch {
	case p.get("role_arn") != "":
		return c.awsCLI(true, "assume-role (role_arn)")
	case p.get("aws_access_key_id") != "":
		if p.get("aws_secret_access_key") == "" {
			return nil, "", fmt.Errorf("AWS profile %q has aws_access_key_id but no aws_secret_access_key", c.profile)
		}
		src := "profile " + c.profile
		return credentials.NewStaticCredentialsProvider(p.get("aws_access_key_id"), p.get("aws_secret_access_key"), p.get("aws_session_token")), src, nil
	case p.get("web_identity_token_file") != "":
		return c.awsCLI(true, "web identity (web_identity_token_file)")
	case p.get("sso_session") != "" || p.get("sso_start_url") != "":
		return c.awsCLI(true, "SSO (sso_session or sso_start_url)")
	case p.get("login_session") != "":
		return c.awsCLI(true, "console sign-in (login_session)")
	case p.get("credential_process") != "":
		args, err := splitCommand(p.get("credential_process"), runtime.GOOS == "windows")
		if err != nil || len(args) == 0 {
			return nil, "", fmt.Errorf("AWS profile %q: credential_process: %v", c.profile, orEmpty(err))
		}
		what := "credential_process of profile " + c.profile
		return processProvider(args, what, ""), what, nil
	}
	if prov, src, ok, err := containerCredentials(); ok {
		return prov, src, err
	}
	if strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		return nil, "", fmt.Errorf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile %q keys, credential_process or SSO in %s or %s (EC2 instance metadata is off: AWS_EC2_METADATA_DISABLED)",
			c.profile, orNone(c.credsPath), orNone(c.configPath))
	}
	client := imds.New(imds.Options{Endpoint: os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")})
	prov := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client })
	return describe(aws.NewCredentialsCache(prov), "no AWS credentials in the environment or profile "+c.profile+", and none from EC2 instance metadata"), "EC2 instance metadata", nil
}

func orEmpty(err error) string {
	if err == nil {
		return "empty command"
	}
	return err.Error()
}

// awsCLI delegates to `aws configure export-credentials`: the AWS CLI v2
// implements SSO (and its token cache from `aws sso login`), assume-role
// with MFA and source profiles, and web identity, which msctl would
// otherwise need the SDK's SSO and STS clients for.
func (c *chain) awsCLI(withProfile bool, why string) (aws.CredentialsProvider, string, error) {
	who := "the environment"
	if withProfile {
		who = fmt.Sprintf("AWS profile %q", c.profile)
	}
	path, err := exec.LookPath("aws")
	if err != nil {
		return nil, "", fmt.Errorf("%s uses %s, which msctl gets through the AWS CLI (aws configure export-credentials), but aws is not on PATH: install AWS CLI v2, or give the profile a credential_process, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", who, why)
	}
	args := []string{path, "configure", "export-credentials"}
	if withProfile {
		args = append(args, "--profile", c.profile)
	}
	args = append(args, "--format", "process")
	hint := ""
	if strings.HasPrefix(why, "SSO") {
		hint = "; if the SSO session expired, run: aws sso login --profile " + c.profile
	}
	what := fmt.Sprintf("aws configure export-credentials for %s, %s", who, why)
	return processProvider(args, what, hint), what, nil
}

// maxProcessOutput bounds what a credential process may print.
const maxProcessOutput = 1 << 20

// processProvider runs args (no shell) as a credential process, with
// msctl's stdin and stderr so MFA prompts and the AWS CLI's messages
// reach the user.
func processProvider(args []string, what, hint string) aws.CredentialsProvider {
	build := processcreds.NewCommandBuilderFunc(func(ctx context.Context) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = os.Environ()
		cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
		// processcreds copies stdout to this writer first: failing it
		// stops an endless output.
		cmd.Stdout = &limitWriter{n: maxProcessOutput}
		return cmd, nil
	})
	return describe(aws.NewCredentialsCache(processcreds.NewProviderCommand(build)), "running "+what+hint)
}

type limitWriter struct{ n int }

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, fmt.Errorf("credential process printed more than %d KiB", maxProcessOutput>>10)
	}
	w.n -= len(p)
	return len(p), nil
}

// containerCredentials: ECS and EKS Pod Identity's endpoint. ok is false
// when neither variable is set.
func containerCredentials() (prov aws.CredentialsProvider, src string, ok bool, err error) {
	endpoint := ""
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		endpoint = "http://169.254.170.2" + rel
	} else if full := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full != "" {
		if err := checkContainerURI(full); err != nil {
			return nil, "", true, err
		}
		endpoint = full
	} else {
		return nil, "", false, nil
	}
	p := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		if file := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(file)
				if err != nil {
					return "", fmt.Errorf("reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		} else {
			o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		}
	})
	return describe(aws.NewCredentialsCache(p), "container credentials from "+redactURL(endpoint)), "container credentials", true, nil
}

// checkContainerURI allows what the SDKs allow for a full URI: HTTPS, or
// plain HTTP to loopback or the ECS and EKS credential addresses.
func checkContainerURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI: %w", err)
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		if host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %s: plain HTTP is allowed only to loopback or the ECS/EKS credential address", redactURL(s))
}

// redactURL drops a URL's user info and query, which may hold secrets.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// describedProvider puts what was being tried in front of a provider's
// errors, and keeps a credential process's output (which can hold a
// secret) out of them.
type describedProvider struct {
	aws.CredentialsProvider
	context string
}

func describe(p aws.CredentialsProvider, context string) aws.CredentialsProvider {
	return describedProvider{p, context}
}

func (d describedProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := d.CredentialsProvider.Retrieve(ctx)
	if err == nil {
		return creds, nil
	}
	msg := err.Error()
	if strings.Contains(msg, "parse failed of process output") {
		// processcreds quotes the whole output, secrets included.
		msg = "its output is not the credential process JSON ({\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ...})"
	}
	return aws.Credentials{}, fmt.Errorf("%s: %s", d.context, msg)
}

// splitCommand splits a credential_process line into arguments the way
// the AWS CLI does on Unix (POSIX shell words: quotes and backslashes),
// so it runs without a shell. On Windows a backslash is a path separator,
// not an escape, and only double quotes group.
func splitCommand(s string, windows bool) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'' && !windows:
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if !windows && s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated \" quote")
			}
			inWord = true
		case ch == '\\' && !windows:
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
