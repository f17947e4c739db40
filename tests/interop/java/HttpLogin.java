import java.io.InputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.PasswordAuthentication;
import java.net.URL;

/* Java's own HTTP authentication (HttpURLConnection): Negotiate through JGSS with the Kerberos
 * ticket cache (KRB5CCNAME), or NTLM with the credentials given. Prints the HTTP status, the
 * X-Remote-User-SID header (or "-") and the body. Arguments: URL [DOMAIN\\USER PASSWORD]. */
public class HttpLogin {
    public static void main(String[] args) throws Exception {
        if (args.length == 3) {
            final String user = args[1], password = args[2];
            Authenticator.setDefault(new Authenticator() {
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication(user, password.toCharArray());
                }
            });
        }
        HttpURLConnection c = (HttpURLConnection) new URL(args[0]).openConnection();
        int status = c.getResponseCode();
        String sid = c.getHeaderField("X-Remote-User-SID");
        InputStream in = status == 200 ? c.getInputStream() : c.getErrorStream();
        String body = in == null ? "" : new String(in.readAllBytes(), "UTF-8");
        System.out.println(status + " " + (sid == null ? "-" : sid) + " " + body.trim());
    }
}
