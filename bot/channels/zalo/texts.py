"""Sentences only the Zalo channel says, in Vietnamese (NFC)."""

from __future__ import annotations

# Zalo's terms: tell users they talk to an automated system and whether data is collected.
NOTICE = (
    "ℹ️ Đây là trợ lý tự động, không phải cán bộ trực tiếp trả lời. Câu hỏi của bạn được lưu "
    "có thời hạn, sau khi đã che số điện thoại và số giấy tờ, để cải thiện câu trả lời."
)
PRIVACY_CHOICE = "🔒 Trợ lý lưu gì về bạn và cách xóa"
PRIVACY_FAQ = "bot.privacy"
CHOOSE_HINT = "Gõ số để chọn (ví dụ: 1)."
FEEDBACK_HINT = "Câu trả lời có giúp được bạn không? Gõ 👍 hoặc 👎 (hoặc số tương ứng)."
OUT_OF_RANGE = "Bạn hãy gõ một số từ 1 đến {count} để chọn, hoặc gõ câu hỏi mới."
NO_PENDING = (
    "Hiện không có danh sách nào để chọn theo số. Bạn hãy gõ câu hỏi bằng lời của mình, "
    "hoặc gõ /menu để xem các chủ đề."
)
# Sent instead of the content for users in legally protected groups and for links: never an
# error, never a hint that the user did something wrong.
UNSUPPORTED = (
    "Tôi chưa xem được nội dung tin nhắn này. Bạn vui lòng gõ câu hỏi bằng chữ, ví dụ: "
    "“quên mật khẩu dịch vụ công”. Nếu cần người hỗ trợ trực tiếp, gõ /lienhe để xem số "
    "tổng đài."
)

# Staff read these when a broadcast cannot use Zalo.
TOKEN_REFUSED = "Zalo từ chối ZALO_BOT_TOKEN (token sai hoặc đã được tạo lại). Không gửi tin nào."
UNREACHABLE = "Không kết nối được máy chủ Zalo: {error}. Các tin chưa gửi vẫn được giữ lại."
