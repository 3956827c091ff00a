export * from './member-account';
export * from './organization-sources';
export * from './guardduty-members';
export * from './guardduty-protection-plans';
export * from './detective-graph-members';
export * from './security-hub-members';
export * from './security-members-provider';
