import RunbookKit

/// The IAM, STS and AWS CLI profile plugins, sharing one AWS session.
public enum AWSIAMPlugins {
    public static func all() -> [any StepPlugin] {
        let session = AWSSession()
        return [
            CreateUser(session: session),
            AttachUserPolicy(session: session),
            CreateGroup(session: session),
            AttachGroupPolicy(session: session),
            AddUserToGroup(session: session),
            TagUser(session: session),
            CreateAccessKey(session: session),
            VerifyCredentials(session: session),
            ConfigureProfile(),
        ]
    }
}
