/**
 * Links into a tenant's ServiceDesk Plus for the note. On-prem keeps the classic work-order and
 * solution pages; Cloud portals (base URL https://<host>/app/<portal>) use the /ui/ routes.
 */
export interface SdpLinks {
  request(id: string): string;
  solution(id: string): string;
}

export function sdpLinks(tenant: { sdpBaseUrl: string; sdpAuthType: 'onprem' | 'cloud' }): SdpLinks {
  const base = tenant.sdpBaseUrl.replace(/\/+$/, '');
  const id = (value: string) => encodeURIComponent(value);
  if (tenant.sdpAuthType === 'cloud') {
    return {
      request: (value) => `${base}/ui/requests/${id(value)}/details`,
      solution: (value) => `${base}/ui/solutions/${id(value)}/details`,
    };
  }
  return {
    request: (value) => `${base}/WorkOrder.do?woMode=viewWO&woID=${id(value)}`,
    solution: (value) => `${base}/AddSolution.do?submit=View&solID=${id(value)}`,
  };
}
