import { api, withQuery } from '../../api.js';
import type {
  FollowResult, Located, MyContact, NearbyQuery, NearbyTicket, NoticeList, PhotoUpload, PhotoView,
} from '../../../../hotline/citizen-schemas.js';

export type { Located, NearbyTicket, NoticeList, PhotoView };

const H = '/api/hotline';

/** The citizen side of the hotline API (src/hotline/citizen-routes.ts). */
export const citizenApi = {
  /** district, street and address of a pin, from the area tree */
  locate: (lon: number, lat: number) => api<Located>('GET', withQuery(`${H}/locate`, { lon, lat })),
  nearby: (q: NearbyQuery) => api<NearbyTicket[]>('GET', withQuery(`${H}/nearby`, { ...q })),
  follow: (ticketId: string) => api<FollowResult>('POST', `${H}/tickets/${encodeURIComponent(ticketId)}/follow`, {}),
  uploadPhoto: (body: PhotoUpload) => api<PhotoView>('POST', `${H}/photos`, body),
  myContact: () => api<MyContact>('GET', `${H}/my-contact`),
  notices: () => api<NoticeList>('GET', `${H}/notices`),
  markNoticesRead: () => api<NoticeList>('POST', `${H}/notices/read`, {}),
};
