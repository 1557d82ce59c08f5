package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// loadConfig loads the SDK's default configuration (region, endpoints,
// credentials) with the adapter's overrides, and resolves the credentials
// once, so that a missing or broken credential source is reported as one
// line about the setting to fix before any call is made.
func loadConfig(ctx context.Context, region, profile string, hc aws.HTTPClient) (aws.Config, error) {
	if region != "" && !isRegionName(region) {
		return aws.Config{}, fmt.Errorf("AWS region %q is not a region name (like us-east-1)", region)
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if hc != nil {
		opts = append(opts, config.WithHTTPClient(hc))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var notExist config.SharedConfigProfileNotExistError
	if errors.As(err, &notExist) {
		cfgFile, credsFile := sharedFiles()
		return cfg, fmt.Errorf("AWS profile %q is in neither %s nor %s", notExist.Profile, cfgFile, credsFile)
	}
	if err != nil && strings.Contains(err.Error(), "partial credentials found") {
		return cfg, fmt.Errorf("AWS profile %q has aws_access_key_id but no aws_secret_access_key, or the other way round", profileName(profile))
	}
	if err != nil {
		return cfg, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return cfg, errors.New("no AWS credentials")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, credentialsError(ctx, cfg, profile, err)
	}
	return cfg, nil
}

// sharedFiles are the shared config and credentials files the SDK reads.
func sharedFiles() (cfgFile, credsFile string) {
	cfgFile, credsFile = os.Getenv("AWS_CONFIG_FILE"), os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if cfgFile == "" {
		cfgFile = config.DefaultSharedConfigFilename()
	}
	if credsFile == "" {
		credsFile = config.DefaultSharedCredentialsFilename()
	}
	return cfgFile, credsFile
}

// credentialsError says what to fix when the SDK's chain gave no
// credentials: which setting is half done, or where credentials can come
// from. The SDK's own error follows, except a credential process's
// output, which may hold a secret.
func credentialsError(ctx context.Context, cfg aws.Config, profile string, err error) error {
	name := profileName(profile)
	if aws.IsCredentialsProvider(cfg.Credentials, (*processcreds.Provider)(nil)) || strings.Contains(err.Error(), "process output") {
		if strings.Contains(err.Error(), "parse failed of process output") {
			return fmt.Errorf("credential_process of profile %s printed something that is not the credential process JSON (not shown: it may hold a secret)", name)
		}
		return fmt.Errorf("credential_process of profile %s: %w", name, err)
	}
	shared, _ := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		cfgFile, credsFile := sharedFiles()
		o.ConfigFiles, o.CredentialsFiles = []string{cfgFile}, []string{credsFile}
	})
	switch {
	case aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil)):
		// Instance metadata is the chain's last resort: nothing else was
		// configured, or something was configured by halves.
		id, secret := os.Getenv("AWS_ACCESS_KEY_ID") != "", os.Getenv("AWS_SECRET_ACCESS_KEY") != ""
		switch {
		case id && !secret:
			return errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use a profile")
		case secret && !id:
			return errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither to use a profile")
		}
		if shared.Credentials.AccessKeyID != "" && shared.Credentials.SecretAccessKey == "" {
			return fmt.Errorf("AWS profile %q has aws_access_key_id but no aws_secret_access_key", name)
		}
		cfgFile, credsFile := sharedFiles()
		return fmt.Errorf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile %q keys, credential_process, SSO or a role in %s or %s (EC2 instance metadata, tried last: %v)",
			name, cfgFile, credsFile, err)
	case shared.SSOSession != nil || shared.SSOStartURL != "":
		return fmt.Errorf("AWS profile %q signs in with SSO: %w (run `aws sso login --profile %s`, or your organisation's sign-in, to refresh the SSO cache)", name, err, name)
	}
	return fmt.Errorf("getting AWS credentials: %w", err)
}

// profileName is the shared-config profile in use: ?profile=, else
// AWS_PROFILE, else default.
func profileName(profile string) string {
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	return profile
}

// isRegionName says whether s can be a region name (us-east-1): it
// becomes part of a host name, so anything else is refused before it is
// used in one.
func isRegionName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
