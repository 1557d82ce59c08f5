package openapicompat

import "github.com/msctl/msctl/internal/compat"

func r(id string, sev compat.Severity, cat, summary string) compat.Rule {
	return compat.Rule{ID: id, Severity: sev, Categories: []string{cat}, Summary: summary}
}

const (
	catPaths    = "PATHS"
	catRequest  = "REQUEST"
	catResponse = "RESPONSE"
	catSecurity = "SECURITY"
)

// The rules. IDs are stable.
var (
	PathRemoved               = r("PATH_REMOVED", compat.Breaking, catPaths, "a path was removed")
	OperationRemoved          = r("OPERATION_REMOVED", compat.Breaking, catPaths, "an operation was removed from a path")
	PathAdded                 = r("PATH_ADDED", compat.Safe, catPaths, "a path was added")
	OperationAdded            = r("OPERATION_ADDED", compat.Safe, catPaths, "an operation was added")
	OperationDeprecated       = r("OPERATION_DEPRECATED", compat.Safe, catPaths, "an operation was deprecated")
	ParamRequiredAdded        = r("REQUEST_PARAMETER_REQUIRED_ADDED", compat.Breaking, catRequest, "a required parameter or header was added")
	ParamBecameRequired       = r("REQUEST_PARAMETER_BECAME_REQUIRED", compat.Breaking, catRequest, "an optional parameter or header became required")
	ParamRemoved              = r("REQUEST_PARAMETER_REMOVED", compat.Dangerous, catRequest, "a parameter was removed (clients still send it)")
	ParamAdded                = r("REQUEST_PARAMETER_ADDED", compat.Safe, catRequest, "an optional parameter was added")
	BodyRequiredAdded         = r("REQUEST_BODY_REQUIRED_ADDED", compat.Breaking, catRequest, "a required request body was added")
	BodyBecameRequired        = r("REQUEST_BODY_BECAME_REQUIRED", compat.Breaking, catRequest, "the request body became required")
	RequestMediaTypeRemoved   = r("REQUEST_MEDIA_TYPE_REMOVED", compat.Breaking, catRequest, "a request media type is no longer accepted")
	RequestPropRequiredAdded  = r("REQUEST_PROPERTY_REQUIRED_ADDED", compat.Breaking, catRequest, "a required request property was added")
	RequestPropBecameRequired = r("REQUEST_PROPERTY_BECAME_REQUIRED", compat.Breaking, catRequest, "an optional request property became required")
	RequestPropRemoved        = r("REQUEST_PROPERTY_REMOVED", compat.Dangerous, catRequest, "a request property was removed (clients still send it)")
	RequestPropAdded          = r("REQUEST_PROPERTY_ADDED", compat.Safe, catRequest, "an optional request property was added")
	RequestTypeChanged        = r("REQUEST_TYPE_CHANGED", compat.Breaking, catRequest, "a request value's type was narrowed (or made non-nullable)")
	RequestFormatChanged      = r("REQUEST_FORMAT_CHANGED", compat.Breaking, catRequest, "a request value's format was added or changed")
	RequestEnumNarrowed       = r("REQUEST_ENUM_VALUE_REMOVED", compat.Breaking, catRequest, "a request enum lost values (or an enum was added)")
	RequestConstraintNarrowed = r("REQUEST_CONSTRAINT_NARROWED", compat.Breaking, catRequest, "a request constraint was tightened (maxLength, minimum, pattern, ...)")
	RequestAlternativeRemoved = r("REQUEST_ALTERNATIVE_REMOVED", compat.Breaking, catRequest, "a oneOf/anyOf alternative was removed from a request")
	ResponseCodeRemoved       = r("RESPONSE_SUCCESS_CODE_REMOVED", compat.Breaking, catResponse, "a success (2xx) response code was removed")
	ResponseErrorCodeRemoved  = r("RESPONSE_NON_SUCCESS_CODE_REMOVED", compat.Dangerous, catResponse, "a non-success response code was removed")
	ResponseCodeAdded         = r("RESPONSE_CODE_ADDED", compat.Safe, catResponse, "a response code was added")
	ResponseMediaTypeRemoved  = r("RESPONSE_MEDIA_TYPE_REMOVED", compat.Breaking, catResponse, "a response media type was removed")
	ResponseRequiredPropGone  = r("RESPONSE_REQUIRED_PROPERTY_REMOVED", compat.Breaking, catResponse, "a required response property was removed")
	ResponsePropBecameOpt     = r("RESPONSE_PROPERTY_BECAME_OPTIONAL", compat.Breaking, catResponse, "a required response property became optional")
	ResponseOptionalPropGone  = r("RESPONSE_OPTIONAL_PROPERTY_REMOVED", compat.Dangerous, catResponse, "an optional response property was removed")
	ResponsePropAdded         = r("RESPONSE_PROPERTY_ADDED", compat.Safe, catResponse, "a response property was added")
	ResponseTypeChanged       = r("RESPONSE_TYPE_CHANGED", compat.Breaking, catResponse, "a response value's type was widened (or made nullable)")
	ResponseFormatChanged     = r("RESPONSE_FORMAT_CHANGED", compat.Breaking, catResponse, "a response value's format was removed or changed")
	ResponseEnumWidened       = r("RESPONSE_ENUM_VALUE_ADDED", compat.Dangerous, catResponse, "a response enum gained values")
	ResponseConstraintWidened = r("RESPONSE_CONSTRAINT_WIDENED", compat.Breaking, catResponse, "a response constraint was loosened (maxLength, maximum, ...)")
	ResponseAlternativeAdded  = r("RESPONSE_ALTERNATIVE_ADDED", compat.Breaking, catResponse, "a oneOf/anyOf alternative was added to a response")
	ResponseHeaderRemoved     = r("RESPONSE_HEADER_REMOVED", compat.Breaking, catResponse, "a required response header was removed")
	SecurityChanged           = r("SECURITY_REQUIREMENT_CHANGED", compat.Breaking, catSecurity, "an operation needs security that clients of the baseline may not have")
	SecurityRemoved           = r("SECURITY_REQUIREMENT_REMOVED", compat.Safe, catSecurity, "an operation's security was relaxed")
)

// Rules lists every OpenAPI rule.
func Rules() []compat.Rule {
	return []compat.Rule{PathRemoved, OperationRemoved, PathAdded, OperationAdded, OperationDeprecated,
		ParamRequiredAdded, ParamBecameRequired, ParamRemoved, ParamAdded, BodyRequiredAdded, BodyBecameRequired,
		RequestMediaTypeRemoved, RequestPropRequiredAdded, RequestPropBecameRequired, RequestPropRemoved,
		RequestPropAdded, RequestTypeChanged, RequestFormatChanged, RequestEnumNarrowed, RequestConstraintNarrowed,
		RequestAlternativeRemoved, ResponseCodeRemoved, ResponseErrorCodeRemoved, ResponseCodeAdded,
		ResponseMediaTypeRemoved, ResponseRequiredPropGone, ResponsePropBecameOpt, ResponseOptionalPropGone,
		ResponsePropAdded, ResponseTypeChanged, ResponseFormatChanged, ResponseEnumWidened, ResponseConstraintWidened,
		ResponseAlternativeAdded, ResponseHeaderRemoved, SecurityChanged, SecurityRemoved}
}
