import RunbookKit

/// The IAM, STS and AWS CLI profile plugins.
public enum AWSIAMPlugins {
    public static func all(environment: [String: String]) -> [any StepPlugin] {
        []
    }
}
